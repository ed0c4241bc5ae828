package bert

import (
	"math/rand/v2"
	"strconv"

	"github.com/medbert/medbert/nn"
	"github.com/medbert/medbert/tensor"
)

// Param is one named parameter tensor. Names are full HF state-dict keys
// ("bert.embeddings.word_embeddings.weight", "classifier.bias", ...).
type Param = nn.Param

// Leaf modules come from package nn; bert initialises them itself (initAll)
// so the config's initializer_range and one seeded stream apply.
func newLinear(in, out int) *nn.Linear              { return nn.NewLinear(in, out, true, nil) }
func newLayerNorm(d int, eps float64) *nn.LayerNorm { return nn.NewLayerNorm(d, float32(eps)) }
func newEmbedding(n, d, pad int) *nn.Embedding      { return nn.NewEmbedding(n, d, pad, nil) }

// activate applies a validated hidden_act (HF ACT2FN): "gelu" is exact erf
// GELU; "gelu_new" and "gelu_pytorch_tanh" are the tanh approximation
// 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))); "relu" is max(x, 0).
func activate(act string, x *tensor.Tensor) *tensor.Tensor {
	switch act {
	case ActGELUNew, ActGELUTanh:
		return tensor.GELUTanh(x)
	case ActReLU:
		return tensor.ReLU(x)
	default:
		return tensor.GELU(x)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// run carries per-forward state: derived index vectors, the additive mask,
// whether the call records a graph, and its dropout generator.
type run struct {
	batch, seq int
	positions  []int      // 0..S-1
	tokenTypes []int      // B·S, zeros when not given
	maskAdd    []float32  // B·S additive key mask, nil when no mask was given
	grad       bool       // record the graph through the parameters
	rng        *rand.Rand // dropout masks; nil in eval mode
	attentions bool       // the caller wants every layer's probabilities
}

// linear applies l: its int8 (or other inference) kernel when the call
// records no graph and the layer has one, else float32 with the graph if
// asked.
func (r *run) linear(l *nn.Linear, x *tensor.Tensor) *tensor.Tensor { return l.Forward(x, r.grad) }

// linear3 applies three layers to the same x (query, key, value): without
// a graph as one kernels job that packs or quantizes x once.
func (r *run) linear3(a, b, c *nn.Linear, x *tensor.Tensor) (ya, yb, yc *tensor.Tensor) {
	if r.grad {
		return r.linear(a, x), r.linear(b, x), r.linear(c, x)
	}
	ys := nn.ForwardShared(x, a, b, c)
	return ys[0], ys[1], ys[2]
}

// linearAdd is dropout(linear(x)) + residual; without dropout the add
// runs in the GEMM's epilogue when the layer has a fused inference kernel;
// with dropout one op (tensor.LinearDropoutAdd) keeps neither the
// projection nor its dropped copy for the backward.
func (r *run) linearAdd(l *nn.Linear, x, residual *tensor.Tensor, p float32) *tensor.Tensor {
	if r.rng == nil || p <= 0 {
		return l.ForwardAct(x, r.grad, false, residual)
	}
	return tensor.LinearDropoutAdd(x, r.param(l.Weight), r.bias(l), residual, p, r.rng)
}

// geluLinearAdd is dropout(linear(gelu(h))) + residual in training with
// dropout: tensor.GELULinearDropoutAdd recomputes the GELU output in the
// backward instead of keeping it (four hidden sizes per token).
func (r *run) geluLinearAdd(l *nn.Linear, h, residual *tensor.Tensor, p float32) *tensor.Tensor {
	return tensor.GELULinearDropoutAdd(h, r.param(l.Weight), r.bias(l), residual, p, r.rng)
}

// bias is l's bias as this call sees it (nil when the layer has none).
func (r *run) bias(l *nn.Linear) *tensor.Tensor {
	if l.Bias == nil {
		return nil
	}
	return r.param(l.Bias)
}

// release hands the buffers of activations the forward no longer needs back
// to tensor's pool, so the next layer (and the next call) reuses them
// instead of allocating fresh zeroed memory. Only without a graph: tensors a
// graph recorded, or that need a gradient, are left to FreeGraph and the
// garbage collector. The caller never passes a tensor it returns.
func (r *run) release(ts ...*tensor.Tensor) {
	if r.grad {
		return
	}
	for i, t := range ts {
		if t != nil && (!t.IsLeaf() || t.RequiresGrad()) {
			ts[i] = nil
		}
	}
	tensor.ReleaseAll(ts...)
}

// embed looks ids up in e.
func (r *run) embed(e *nn.Embedding, ids []int) *tensor.Tensor { return e.Forward(ids, r.grad) }

// norm applies a LayerNorm to x, which every caller drops afterwards (a
// residual sum, an activation's output): a training graph releases x at
// once and its backward works from the output.
func (r *run) norm(l *nn.LayerNorm, x *tensor.Tensor) *tensor.Tensor {
	if !normFreesInput {
		return l.Forward(x, r.grad)
	}
	return l.ForwardFreeInput(x, r.grad)
}

// normFreesInput is off only in tests that compare against LayerNorm's
// input-based backward.
var normFreesInput = true

// training reports HF's model.train() mode: dropout on.
func (r *run) training() bool { return r.rng != nil }

// param is a parameter used directly by an op (the tied MLM decoder) as
// this call sees it: itself with grad, a detached view without.
func (r *run) param(t *tensor.Tensor) *tensor.Tensor {
	if r.grad {
		return t
	}
	return t.Detach()
}

// dropout is HF nn.Dropout: active only in training mode (a generator).
func (r *run) dropout(x *tensor.Tensor, p float32) *tensor.Tensor {
	if r.rng == nil || p <= 0 {
		return x
	}
	return tensor.Dropout(x, p, r.rng)
}

// attention runs the fused multi-head attention with the run's key mask and,
// in training, dropout on the probabilities (HF applies it after softmax).
func (r *run) attention(q, k, v *tensor.Tensor, heads int, p float32) (ctx, probs *tensor.Tensor) {
	if r.rng == nil || p <= 0 {
		if !r.attentions {
			return tensor.AttentionContext(q, k, v, r.batch, r.seq, heads, r.maskAdd), nil
		}
		return tensor.Attention(q, k, v, r.batch, r.seq, heads, r.maskAdd)
	}
	if !r.attentions {
		// The backward recomputes the probabilities instead of keeping them.
		return tensor.AttentionDropoutContext(q, k, v, r.batch, r.seq, heads, r.maskAdd, p, r.rng), nil
	}
	return tensor.AttentionDropout(q, k, v, r.batch, r.seq, heads, r.maskAdd, p, r.rng)
}
