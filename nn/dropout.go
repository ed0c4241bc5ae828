package nn

import (
	"math/rand/v2"

	"github.com/medbert/medbert/tensor"
)

// GELU is the exact erf GELU, HF hidden_act "gelu".
func GELU(x *tensor.Tensor) *tensor.Tensor { return tensor.GELU(x) }

// Dropout is torch.nn.Dropout: in training it zeroes elements with
// probability P and scales survivors by 1/(1-P); in eval (Training false) it
// is the identity. Rng makes masks reproducible from a seed; it is only used
// in training and must then be non-nil. A Dropout is not safe for concurrent
// training use (the Rng is shared), which matches one training loop.
type Dropout struct {
	P        float32
	Rng      *rand.Rand
	Training bool
}

// NewDropout returns a Dropout in eval mode (call SetTraining to enable).
func NewDropout(p float32, rng *rand.Rand) *Dropout { return &Dropout{P: p, Rng: rng} }

// SetTraining switches between training (dropout active) and eval.
func (d *Dropout) SetTraining(on bool) { d.Training = on }

// Active reports whether Forward would drop anything.
func (d *Dropout) Active() bool { return d != nil && d.Training && d.P > 0 }

// Forward applies dropout in training and returns x unchanged otherwise.
func (d *Dropout) Forward(x *tensor.Tensor) *tensor.Tensor {
	if !d.Active() {
		return x
	}
	return tensor.Dropout(x, d.P, d.Rng)
}

// Params returns nothing: dropout has no parameters.
func (d *Dropout) Params(string) []Param { return nil }
