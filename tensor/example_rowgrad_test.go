package tensor_test

import (
	"fmt"

	"github.com/medbert/medbert/tensor"
)

// An embedding table whose gradient keeps only the looked-up rows: the
// backward of a lookup of ids 4, 1, 4 fills rows 4 and 1 (row 4 twice)
// and allocates no dense gradient.
func ExampleTensor_SetRowSparseGrad() {
	table := tensor.Zeros(1000, 2) // a 1000-word vocabulary, 2 values per word
	table.SetRequiresGrad(true)
	if err := table.SetRowSparseGrad(true); err != nil {
		panic(err)
	}
	y := tensor.Embedding(table, []int{4, 1, 4}, -1)
	weights := tensor.New([]float32{1, 2, 3, 4, 5, 6}, 3, 2)
	tensor.Sum(tensor.Mul(y, weights)).Backward()

	g := table.RowGrad()
	for k, row := range g.Rows() {
		fmt.Println("row", row, g.Row(k))
	}
	fmt.Println("dense gradient allocated:", table.Grad != nil)
	table.ZeroGrad()
	fmt.Println("rows after ZeroGrad:", g.Len())
	// Output:
	// row 4 [6 8]
	// row 1 [3 4]
	// dense gradient allocated: false
	// rows after ZeroGrad: 0
}
