package safetensors

import (
	"errors"
	"fmt"
	"math"
	"testing"
)

func TestCheckFinite(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(-1))
	if err := CheckFinite("w", []float32{0, -1, math.MaxFloat32, math.SmallestNonzeroFloat32}); err != nil {
		t.Errorf("finite values: %v", err)
	}
	err := CheckFinite("bert.pooler.dense.weight", []float32{1, nan, 2, inf, nan})
	var nf *NonFiniteError
	if !errors.As(err, &nf) || nf.NaN != 2 || nf.Inf != 1 || nf.First != 1 || nf.Tensor != "bert.pooler.dense.weight" {
		t.Fatalf("err = %#v", err)
	}
}

func ExampleCheckFinite() {
	w := []float32{0.5, float32(math.NaN()), -0.25}
	fmt.Println(CheckFinite("classifier.weight", w))
	// Output: tensor "classifier.weight" has 1 NaN and 0 infinite values (first at element 1): the weights are corrupt or diverged
}
