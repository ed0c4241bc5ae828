package safetensors

import (
	"fmt"
	"math"
)

// NonFiniteError reports NaN or ±Inf values in a weight tensor: a model
// holding them computes NaN for every input, and encoding/json fails
// later with "unsupported value: NaN" without naming the tensor.
type NonFiniteError struct {
	Tensor string
	NaN    int // number of NaN elements
	Inf    int // number of ±Inf elements
	First  int // index of the first non-finite element
}

func (e *NonFiniteError) Error() string {
	return fmt.Sprintf("tensor %q has %d NaN and %d infinite values (first at element %d): the weights are corrupt or diverged",
		e.Tensor, e.NaN, e.Inf, e.First)
}

// CheckFinite returns a *NonFiniteError naming tensor when data holds NaN
// or ±Inf, nil otherwise. Loaders call it once per tensor at load time.
func CheckFinite(tensor string, data []float32) error {
	e := NonFiniteError{Tensor: tensor, First: -1}
	for i, v := range data {
		// v-v is 0 for finite values and NaN for NaN and ±Inf.
		if v-v == 0 {
			continue
		}
		if e.First < 0 {
			e.First = i
		}
		if math.IsNaN(float64(v)) {
			e.NaN++
		} else {
			e.Inf++
		}
	}
	if e.First < 0 {
		return nil
	}
	return &e
}
