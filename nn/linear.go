package nn

import (
	"math/rand/v2"

	"github.com/medbert/medbert/tensor"
)

// Linear is torch.nn.Linear: y = x·Wᵀ + b with Weight (out, in) and Bias
// (out) or nil. Infer, when set, computes every forward that records no
// graph (see LinearKernel).
type Linear struct {
	Weight *tensor.Tensor
	Bias   *tensor.Tensor
	Infer  LinearKernel
}

// LinearKernel is an inference-only implementation of a Linear layer whose
// weights were prepared once, when the model was loaded or converted (int8
// weights: QuantLinear). The layer holding it uses it for every forward
// without grad; the choice is made when the model is built, never per call.
type LinearKernel interface {
	// Forward maps x (..., in) to (..., out) and records no graph.
	Forward(x *tensor.Tensor) *tensor.Tensor
	// Bytes is the memory its prepared weights occupy.
	Bytes() int
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

// Forward maps x (..., in) to (..., out); grad records the graph through
// the weights (see the package doc). The inference kernel serves only calls
// that record nothing at all: an input that requires a gradient (an
// attribution through a served model) takes the float32 path.
func (l *Linear) Forward(x *tensor.Tensor, grad bool) *tensor.Tensor {
	if !grad && l.Infer != nil && !x.RequiresGrad() {
		return l.Infer.Forward(x)
	}
	return tensor.Linear(x, param(l.Weight, grad), param(l.Bias, grad))
}

// Params returns "weight" and, with a bias, "bias".
func (l *Linear) Params(prefix string) []Param {
	ps := []Param{{Join(prefix, "weight"), l.Weight}}
	if l.Bias != nil {
		ps = append(ps, Param{Join(prefix, "bias"), l.Bias})
	}
	return ps
}
