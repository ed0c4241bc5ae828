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
	return tensor.Linear(x, l.weight(grad), param(l.Bias, grad))
}

// ForwardAct computes act(x·Wᵀ + b) + residual, where act is the exact
// erf GELU when gelu is set and residual may be nil. Without grad and with
// a fused inference kernel the three happen in one GEMM pass; otherwise
// they are the separate ops, recorded when grad is set.
func (l *Linear) ForwardAct(x *tensor.Tensor, grad, gelu bool, residual *tensor.Tensor) *tensor.Tensor {
	if f, ok := l.Infer.(FusedLinearKernel); ok && !grad && !x.RequiresGrad() && (residual == nil || !residual.RequiresGrad()) {
		return f.ForwardFused(x, gelu, residual)
	}
	y := l.Forward(x, grad)
	if gelu {
		y = tensor.GELU(y)
	}
	if residual != nil {
		y = tensor.Add(y, residual)
	}
	return y
}

// weight is the weight tensor one call computes with: a detached view
// without grad, or — when the layer keeps its weight only packed for
// inference and an input still needs a gradient (an attribution through a
// served model) — a temporary float32 copy unpacked for this call.
func (l *Linear) weight(grad bool) *tensor.Tensor {
	if len(l.Weight.Data) == 0 && !grad {
		if u, ok := l.Infer.(interface{ Unpacked() []float32 }); ok {
			return tensor.New(u.Unpacked(), l.Weight.Shape...)
		}
	}
	return param(l.Weight, grad)
}

// Params returns "weight" and, with a bias, "bias".
func (l *Linear) Params(prefix string) []Param {
	ps := []Param{{Join(prefix, "weight"), l.Weight}}
	if l.Bias != nil {
		ps = append(ps, Param{Join(prefix, "bias"), l.Bias})
	}
	return ps
}
