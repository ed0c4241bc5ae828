package nn

import (
	"math/rand/v2"

	"github.com/medbert/medbert/tensor"
)

// Linear is torch.nn.Linear: y = x·Wᵀ + b with Weight (out, in) and Bias
// (out) or nil.
type Linear struct {
	Weight *tensor.Tensor
	Bias   *tensor.Tensor
}

// NewLinear returns a Linear layer with HF BERT's initialisation: weight
// ~ N(0, 0.02²) drawn from rng, bias zero. A nil rng leaves the weight zero
// for a caller that initialises (or loads) parameters itself.
func NewLinear(in, out int, bias bool, rng *rand.Rand) *Linear {
	l := &Linear{Weight: newParam(rng, InitStd, out, in)}
	if bias {
		l.Bias = filled(0, out)
	}
	return l
}

// Forward maps x (..., in) to (..., out).
func (l *Linear) Forward(x *tensor.Tensor) *tensor.Tensor {
	return tensor.Linear(x, l.Weight, l.Bias)
}

// Params returns "weight" and, with a bias, "bias".
func (l *Linear) Params(prefix string) []Param {
	ps := []Param{{Join(prefix, "weight"), l.Weight}}
	if l.Bias != nil {
		ps = append(ps, Param{Join(prefix, "bias"), l.Bias})
	}
	return ps
}
