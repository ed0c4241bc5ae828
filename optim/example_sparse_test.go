package optim_test

import (
	"fmt"

	"github.com/medbert/medbert/optim"
)

// rows is a fixed row-sparse gradient: rows 2 and 0 of a (3, 2) table.
type rows struct{}

func (rows) RowGrads() ([]int, []float32, int) { return []int{2, 0}, []float32{3, 4, 0, 0}, 2 }

// A (3, 2) table whose gradient lists only rows 2 and 0: the norm counts
// those rows, and the step moves every row — row 1, with a zero gradient,
// still decays — as the dense gradient [0 0 0 0 3 4] would.
func ExampleParam_sparse() {
	table := []float32{1, 1, 1, 1, 1, 1}
	ps := []optim.Param{{Name: "embeddings.weight", Data: table, Sparse: rows{}}}
	opt, err := optim.NewAdamW(ps, optim.AdamWConfig{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.5})
	if err != nil {
		panic(err)
	}
	fmt.Println("norm", optim.GradNorm(ps))
	if err := opt.Step(0.1); err != nil {
		panic(err)
	}
	fmt.Printf("%.3f\n", table)
	// Output:
	// norm 5
	// [0.950 0.950 0.950 0.950 0.850 0.850]
}
