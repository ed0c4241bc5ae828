package nn

import (
	"math/rand/v2"

	"github.com/medbert/medbert/tensor"
)

// Embedding is torch.nn.Embedding: a (num, dim) table looked up by id.
// PaddingIdx (or -1 for none) is torch's padding_idx: that row gets no
// gradient.
type Embedding struct {
	Weight     *tensor.Tensor
	PaddingIdx int
}

// NewEmbedding returns a table ~ N(0, 0.02²) drawn from rng with the padding
// row zeroed, as HF BERT's _init_weights. A nil rng leaves all zeros.
func NewEmbedding(num, dim, paddingIdx int, rng *rand.Rand) *Embedding {
	e := &Embedding{Weight: newParam(rng, InitStd, num, dim), PaddingIdx: paddingIdx}
	if paddingIdx >= 0 && paddingIdx < num {
		clear(e.Weight.Data[paddingIdx*dim : (paddingIdx+1)*dim])
	}
	return e
}

// Forward returns the rows for ids as (len(ids), dim). Ids must be in range:
// callers validate user input (out-of-range ids panic).
func (e *Embedding) Forward(ids []int) *tensor.Tensor {
	return tensor.Embedding(e.Weight, ids, e.PaddingIdx)
}

// Params returns "weight".
func (e *Embedding) Params(prefix string) []Param {
	return []Param{{Join(prefix, "weight"), e.Weight}}
}
