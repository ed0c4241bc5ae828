// Package nn holds the parameterised layers BERT is built from (Linear,
// Embedding, LayerNorm, and their int8 forms), each owning its parameters
// as tensors and naming them like PyTorch modules do ("weight", "bias").
// It knows nothing about BERT itself: the bert package composes these
// pieces with the parameter-free ops of package tensor (attention, GELU,
// dropout, losses) and adds the HF module prefixes.
//
// Every Forward takes grad: true records the autograd graph through the
// layer's parameters (a training step); false runs the layer on detached
// views of them (or on its inference kernel, see LinearKernel), so the call
// records nothing and writes no gradient. The choice is per call, so one
// model can serve, explain and be trained from different goroutines.
package nn

import (
	"math/rand/v2"
	"strings"

	"github.com/medbert/medbert/tensor"
)

// Param is one named parameter. Name is relative to the prefix passed to
// Params, in PyTorch's dotted form.
type Param struct {
	Name string
	T    *tensor.Tensor
}

// Module is anything that owns parameters.
type Module interface {
	// Params lists the parameters, names prefixed by prefix + "." (or
	// unprefixed when prefix is ""), in PyTorch's named_parameters order.
	Params(prefix string) []Param
}

// Join joins a module prefix and a name with a dot, as PyTorch names nested
// parameters; an empty prefix (or one already ending in ".") adds no dot.
func Join(prefix, name string) string {
	if prefix == "" || strings.HasSuffix(prefix, ".") {
		return prefix + name
	}
	return prefix + "." + name
}

// param returns t as one forward call uses it: t itself when the call
// records a graph, a detached view otherwise (nil stays nil).
func param(t *tensor.Tensor, grad bool) *tensor.Tensor {
	if grad || t == nil {
		return t
	}
	return t.Detach()
}

// InitStd is the standard deviation HF BERT uses to initialise Linear and
// Embedding weights (config.initializer_range default).
const InitStd = 0.02

// newParam returns a trainable tensor of the given shape filled from
// N(0, std²) when rng is non-nil and std > 0, zeros otherwise.
func newParam(rng *rand.Rand, std float64, shape ...int) *tensor.Tensor {
	t := tensor.Zeros(shape...)
	if rng != nil && std > 0 {
		for i := range t.Data {
			t.Data[i] = float32(rng.NormFloat64() * std)
		}
	}
	t.SetRequiresGrad(true)
	return t
}

// filled returns a trainable tensor of the given shape filled with v.
func filled(v float32, shape ...int) *tensor.Tensor {
	t := tensor.Zeros(shape...)
	for i := range t.Data {
		t.Data[i] = v
	}
	t.SetRequiresGrad(true)
	return t
}
