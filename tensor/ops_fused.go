package tensor

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/medbert/medbert/kernels"
)

// LinearDropoutAdd returns Add(Dropout(Linear(x, w, b), p, rng), residual),
// a BERT block's output projection in training (HF BertSelfOutput before
// its LayerNorm), bit for bit, values and gradients, drawing the same mask
// from rng. residual must have Linear's output shape.
//
// The composition keeps the projection and its dropped copy alive until
// FreeGraph although no backward reads them; this op computes both in one
// scratch buffer and keeps only a one-bit-per-element dropout mask: two
// buffers of the output's size less per call.
//
// Backward: dresidual += dy; with dz = dy∘mask/(1-p): dx += dz·w,
// dw += dzᵀ·x, db += Σ_rows dz.
func LinearDropoutAdd(x, w, b, residual *Tensor, p float32, rng *rand.Rand) *Tensor {
	return linearDropoutAdd("LinearDropoutAdd", x, w, b, residual, p, rng, false)
}

// GELULinearDropoutAdd is LinearDropoutAdd(GELU(h), w, b, residual, p,
// rng), a BERT feed-forward block's output (HF BertIntermediate's erf GELU
// then BertOutput before its LayerNorm) taking the pre-activation h, bit for
// bit. The GELU output, four times the hidden size, is not kept: the
// backward recomputes it from h with the same kernel (h itself is kept
// anyway, GELU's backward reads it).
//
// Backward: as LinearDropoutAdd with x = GELU(h), then dh += dx·gelu'(h).
func GELULinearDropoutAdd(h, w, b, residual *Tensor, p float32, rng *rand.Rand) *Tensor {
	return linearDropoutAdd("GELULinearDropoutAdd", h, w, b, residual, p, rng, true)
}

// AttentionLinearDropoutAdd is LinearDropoutAdd(AttentionDropoutContext(q,
// k, v, batch, seq, heads, maskAdd, pAttn, rng), w, b, residual, p, rng), a
// BERT attention block up to its LayerNorm in training, bit for bit, values
// and gradients, drawing both masks from rng in the same order. The context
// (the projection's input, one hidden size per token) is not kept: the
// backward rebuilds it from q, k, v and the attention mask bits, one more
// probabilities·v product per block (about 1% of a BERT-base step). With p
// == 0 the context is kept (the projection is then a plain Linear).
func AttentionLinearDropoutAdd(q, k, v *Tensor, batch, seq, heads int, maskAdd []float32, pAttn float32, w, b, residual *Tensor, p float32, rng *rand.Rand) *Tensor {
	ctx := AttentionDropoutContext(q, k, v, batch, seq, heads, maskAdd, pAttn, rng)
	y := LinearDropoutAdd(ctx, w, b, residual, p, rng)
	if p > 0 && ctx.node != nil && ctx.node.recompute != nil {
		freeBuf(ctx.Data)
		ctx.Data = nil
	}
	return y
}

func linearDropoutAdd(op string, x, w, b, residual *Tensor, p float32, rng *rand.Rand, gelu bool) *Tensor {
	rows, in, out := checkLinear(op, x, w, b)
	shape := withLast(x.Shape, out)
	if !slices.Equal(residual.Shape, shape) {
		panic(fmt.Sprintf("tensor: %s: residual %v, want %v", op, residual.Shape, shape))
	}
	if p <= 0 {
		// Dropout is the identity: nothing to save.
		if gelu {
			x = GELU(x)
		}
		return Add(Linear(x, w, b), residual)
	}
	var scale float32
	if p < 1 {
		scale = 1 / (1 - p)
	}
	track := tracking(x, w, b, residual)
	xin := x.Data
	if gelu {
		xin = newBufDirty(len(x.Data)) // kernels.GELU writes every element
		kernels.GELU(xin, x.Data)
	}
	z := newLinearOut(rows, in, out, b)
	linearInto(z, xin, w, b, rows, in, out)
	if gelu {
		freeBuf(xin)
	}
	var mask dropMask
	if track {
		mask = newDropMask(len(z))
	}
	dropInto(z, z, mask.words, p, scale, rng)
	y := empty(shape...)
	kernels.Add(y.Data, z, residual.Data)
	freeBuf(z)
	if !track {
		return y
	}
	y.record(func(dy []float32) {
		// The same operations, in the same order, as the backward of
		// Add, then Dropout, then Linear (then GELU) over the composition:
		// each intermediate gradient starts from zero.
		if residual.requiresGrad {
			kernels.Axpy(1, dy, residual.grad())
		}
		if !x.requiresGrad && !w.requiresGrad && (b == nil || !b.requiresGrad) {
			return
		}
		// The composition's dropout-output gradient would be 0 + dy: the
		// same values, except −0 becoming +0, which the +0 that dz starts
		// from absorbs as well; so dz reads dy directly.
		dz := newBuf(len(dy)) // the projection's gradient
		mask.accumulate(dz, dy, scale)
		xd, done := valueOf(x) // AttentionLinearDropoutAdd released ctx
		defer done()
		if !gelu {
			linearBackward(dz, x, xd, w, b, rows, in, out)
			freeBuf(dz)
			return
		}
		g := &Tensor{Data: newBufDirty(len(xd)), requiresGrad: x.requiresGrad}
		kernels.GELU(g.Data, xd)
		linearBackward(dz, g, g.Data, w, b, rows, in, out)
		freeBuf(dz)
		freeBuf(g.Data)
		if g.Grad != nil {
			kernels.GELUBackward(x.grad(), xd, g.Grad)
			freeBuf(g.Grad)
		}
	}, x, w, b, residual)
	y.save(mask.tensor())
	return y
}
