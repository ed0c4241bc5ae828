package tensor_test

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/medbert/medbert/tensor"
)

// LinearDropoutAdd is the composition Add(Dropout(Linear(x, w, b)), r)
// bit for bit, values and gradients, with the same seed; its graph keeps
// only the output and a bit mask.
func ExampleLinearDropoutAdd() {
	param := func(data []float32, shape ...int) *tensor.Tensor {
		t := tensor.New(data, shape...)
		t.SetRequiresGrad(true)
		return t
	}
	x := param([]float32{1, 2, 3, 4, 5, 6}, 3, 2)
	w := param([]float32{0.5, -1, 2, 0.25}, 2, 2)
	b := param([]float32{0.1, -0.1}, 2)
	r := param([]float32{1, 1, 1, 1, 1, 1}, 3, 2)

	y := tensor.LinearDropoutAdd(x, w, b, r, 0.5, rand.New(rand.NewPCG(1, 2)))
	tensor.Sum(y).Backward()
	fused := slices.Clone(w.Grad)
	fmt.Println("y:", y.Data)

	w.ZeroGrad()
	z := tensor.Add(tensor.Dropout(tensor.Linear(x, w, b), 0.5, rand.New(rand.NewPCG(1, 2))), r)
	tensor.Sum(z).Backward()
	fmt.Println("same y:", slices.Equal(y.Data, z.Data), "same dw:", slices.Equal(fused, w.Grad))
	// Output:
	// y: [1 5.8 1 14.8 1 23.8]
	// same y: true same dw: true
}
