package nn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/medbert/medbert/tensor"
)

// SelfAttention is multi-head self-attention with a padding mask: the
// query/key/value projections of HF BertSelfAttention followed by the fused
// tensor.Attention. The output projection, residual and LayerNorm (HF
// BertSelfOutput) are left to the caller.
type SelfAttention struct {
	Query, Key, Value *Linear
	Heads             int
	// Dropout on the attention probabilities (attention_probs_dropout_prob);
	// active only in training.
	Dropout *Dropout
}

// NewSelfAttention builds the three hidden×hidden projections (HF init) with
// heads heads and attention-probability dropout dropP.
func NewSelfAttention(hidden, heads int, dropP float32, rng *rand.Rand) (*SelfAttention, error) {
	if heads <= 0 || hidden%heads != 0 {
		return nil, fmt.Errorf("nn: hidden size %d is not a multiple of %d attention heads", hidden, heads)
	}
	return &SelfAttention{
		Query:   NewLinear(hidden, hidden, true, rng),
		Key:     NewLinear(hidden, hidden, true, rng),
		Value:   NewLinear(hidden, hidden, true, rng),
		Heads:   heads,
		Dropout: NewDropout(dropP, rng),
	}, nil
}

// Forward attends within each sequence of x (batch·seq, hidden), packed
// row-major by sequence. maskAdd is nil or (batch·seq) additive (see
// AdditiveMask). It returns the merged context (batch·seq, hidden) and the
// pre-dropout probabilities (batch, heads, seq, seq).
func (a *SelfAttention) Forward(x *tensor.Tensor, batch, seq int, maskAdd []float32) (ctx, probs *tensor.Tensor) {
	q := a.Query.Forward(x)
	k := a.Key.Forward(x)
	v := a.Value.Forward(x)
	if a.Dropout.Active() {
		return tensor.AttentionDropout(q, k, v, batch, seq, a.Heads, maskAdd, a.Dropout.P, a.Dropout.Rng)
	}
	return tensor.Attention(q, k, v, batch, seq, a.Heads, maskAdd)
}

// Params returns query.*, key.*, value.* as HF BertSelfAttention names them.
func (a *SelfAttention) Params(prefix string) []Param {
	ps := a.Query.Params(Join(prefix, "query"))
	ps = append(ps, a.Key.Params(Join(prefix, "key"))...)
	return append(ps, a.Value.Params(Join(prefix, "value"))...)
}

// MaskMin is the additive value for a masked key: float32's lowest finite
// value, as HF's (1 - mask) * torch.finfo(float32).min.
const MaskMin = -math.MaxFloat32

// AdditiveMask turns a 0/1 attention mask (1 = attend) into the additive
// form tensor.Attention takes: 0 where mask != 0, MaskMin where mask == 0.
func AdditiveMask[T int | int32 | int64 | float32 | float64](mask []T) []float32 {
	out := make([]float32, len(mask))
	for i, m := range mask {
		if m == 0 {
			out[i] = MaskMin
		}
	}
	return out
}
