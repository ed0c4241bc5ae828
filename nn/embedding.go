package nn

import (
	"math/rand/v2"

	"github.com/medbert/medbert/tensor"
)

// Embedding is torch.nn.Embedding: a (num, dim) table looked up by id.
// PaddingIdx (or -1 for none) is torch's padding_idx: that row gets no
// gradient. Infer, when set, serves every lookup that records no graph
// (an int8 table: QuantEmbedding).
type Embedding struct {
	Weight     *tensor.Tensor
	PaddingIdx int
	Infer      EmbeddingKernel
}

// EmbeddingKernel is an inference-only form of an embedding table, prepared
// when the model was loaded or converted.
type EmbeddingKernel interface {
	// Forward returns the rows for ids as (len(ids), dim).
	Forward(ids []int) *tensor.Tensor
	// Bytes is the memory the table occupies.
	Bytes() int
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
// grad records the graph through the table (see the package doc).
func (e *Embedding) Forward(ids []int, grad bool) *tensor.Tensor {
	if !grad && e.Infer != nil {
		return e.Infer.Forward(ids)
	}
	return tensor.Embedding(param(e.Weight, grad), ids, e.PaddingIdx)
}

// Params returns "weight".
func (e *Embedding) Params(prefix string) []Param {
	return []Param{{Join(prefix, "weight"), e.Weight}}
}
