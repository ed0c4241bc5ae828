package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/medbert/medbert/kernels"
)

// Attention is fused multi-head scaled dot-product attention over packed
// sequences, as HF BertSelfAttention (eager path) after the q/k/v Linears:
//
//	q, k, v are (batch·seq, hidden) (any shape of that size ending in hidden);
//	head h owns columns [h·hd, (h+1)·hd), hd = hidden/heads;
//	maskAdd is (batch·seq) additive per key (0 to attend, float32 min to
//	mask, as HF's extended attention mask) or nil;
//	probs[b,h] = softmax(q_bh·k_bhᵀ/√hd + mask_b) over keys, (batch, heads, seq, seq);
//	ctx[b, :, h] = probs[b,h]·v_bh, same shape as q.
//
// Every (batch, head) block is a GEMM read in place from the packed buffers
// with leading dimension hidden (kernels.SgemmBatch, parallel over blocks),
// so no head is copied or transposed.
// probs is returned for inspection (it is not part of the graph; do not
// modify it: the backward reads it). Keys whose mask is float32 min get
// exactly zero probability unless every key of the row is masked.
func Attention(q, k, v *Tensor, batch, seq, heads int, maskAdd []float32) (ctx, probs *Tensor) {
	return AttentionDropout(q, k, v, batch, seq, heads, maskAdd, 0, nil)
}

// AttentionDropout is Attention with dropout (probability p, inverted
// scaling, drawn from rng) applied to the probabilities before they weight v,
// as HF's attention_probs_dropout_prob in training. The returned probs are
// the pre-dropout probabilities. p == 0 disables it (rng may then be nil).
func AttentionDropout(q, k, v *Tensor, batch, seq, heads int, maskAdd []float32, p float32, rng *rand.Rand) (ctx, probs *Tensor) {
	return attention("Attention", q, k, v, batch, seq, heads, maskAdd, p, rng, true)
}

// AttentionDropoutContext is AttentionDropout's ctx, bit for bit (the same
// mask is drawn from rng), for a caller that does not want the
// probabilities, as a training forward without output_attentions. The
// graph then keeps no (batch, heads, seq, seq) tensor: the backward
// recomputes the probabilities from q and k with the same kernels (one
// GEMM and softmax per block, a small part of the block's backward).
func AttentionDropoutContext(q, k, v *Tensor, batch, seq, heads int, maskAdd []float32, p float32, rng *rand.Rand) *Tensor {
	ctx, _ := attention("AttentionDropoutContext", q, k, v, batch, seq, heads, maskAdd, p, rng, false)
	return ctx
}

// attention is AttentionDropout; with keepProbs false the probabilities
// are scratch (probs is nil) and the backward recomputes them.
func attention(op string, q, k, v *Tensor, batch, seq, heads int, maskAdd []float32, p float32, rng *rand.Rand, keepProbs bool) (ctx, probs *Tensor) {
	hidden := checkAttention(op, q, k, v, batch, seq, heads, maskAdd)
	hd := hidden / heads
	np := batch * heads * seq * seq
	// Both are fully written by GEMMs with beta 0 when there is anything to
	// compute (hd > 0; batch·seq == 0 returns them empty).
	newOut := newBufDirty
	if hd == 0 {
		newOut = newBuf
	}
	ctx = &Tensor{Data: newOut(len(q.Data)), Shape: slices.Clone(q.Shape)}
	if keepProbs {
		probs = &Tensor{Data: newOut(np), Shape: []int{batch, heads, seq, seq}}
	}
	track := tracking(q, k, v)
	if batch*seq == 0 {
		return ctx, probs
	}
	a := newAttentionLayout(batch, seq, heads, hidden, maskAdd)
	var pr []float32 // the probabilities
	if keepProbs {
		pr = probs.Data
	} else {
		pr = newOut(np)
	}
	a.probs(pr, q.Data, k.Data)
	// dropped holds the probabilities after dropout (what multiplies v); it
	// aliases pr when dropout is off, or when pr is scratch anyway. With
	// dropout the graph keeps a bit mask, and the backward regenerates
	// dropped from the probabilities (the same products) instead of keeping
	// another (batch, heads, seq, seq) tensor alive until FreeGraph.
	dropped := pr
	var keepScale float32
	var mask dropMask
	if p > 0 {
		if p < 1 {
			keepScale = 1 / (1 - p)
		}
		if keepProbs {
			dropped = newBufDirty(np) // dropInto writes every element
		}
		if track {
			mask = newDropMask(np)
		}
		dropInto(dropped, pr, mask.words, p, keepScale, rng)
	}
	kernels.SgemmBatch(false, false, seq, hd, seq, 1, dropped, seq, a.pOff, v.Data, hidden, a.hOff, 0, ctx.Data, hidden, a.hOff)
	if !keepProbs {
		freeBuf(pr)
	} else if p > 0 {
		freeBuf(dropped)
	}
	if !track {
		return ctx, probs
	}
	// regenerate rebuilds the probabilities and their dropped copy from q,
	// k and the mask with the forward's kernels (the same bits).
	regenerate := func() (pr, dropped []float32, done func()) {
		if keepProbs {
			pr = probs.Data
		} else {
			pr = newOut(np)
			a.probs(pr, q.Data, k.Data)
		}
		dropped = pr
		if p > 0 {
			dropped = newBufDirty(np) // scaleInto writes every element
			mask.scaleInto(dropped, pr, keepScale)
		}
		return pr, dropped, func() {
			if !keepProbs {
				freeBuf(pr)
			}
		}
	}
	ctx.record(func(dctx []float32) {
		pr, dropped, done := regenerate()
		defer done()
		if v.requiresGrad { // dV_h += Pdᵀ · dctx_h
			kernels.SgemmBatch(true, false, seq, hd, seq, 1, dropped, seq, a.pOff, dctx, hidden, a.hOff, 1, v.grad(), hidden, a.hOff)
		}
		if !q.requiresGrad && !k.requiresGrad {
			if p > 0 {
				freeBuf(dropped)
			}
			return
		}
		// dP = d(loss)/d(dropped probs) = dctx_h · v_hᵀ
		dP := newBufDirty(np) // the GEMM's beta 0 overwrites it
		kernels.SgemmBatch(false, true, seq, seq, hd, 1, dctx, hidden, a.hOff, v.Data, hidden, a.hOff, 0, dP, seq, a.pOff)
		if p > 0 {
			// A kept entry has dropped = probs·keepScale != 0 whenever
			// probs > 0; where probs == 0 the softmax backward multiplies by
			// 0 anyway, so the nonzero test on dropped serves as the mask.
			for i, d := range dropped {
				// All ones where d != 0 (d is +0 or positive): no branch
				// on the random mask.
				u := math.Float32bits(d)
				keep := uint32(int32(u|-u) >> 31)
				dP[i] = math.Float32frombits(math.Float32bits(dP[i]*keepScale) & keep)
			}
			freeBuf(dropped) // dS below takes its place
		}
		// dS = d(loss)/d(q·kᵀ), the softmax backward including the 1/√hd.
		dS := newBuf(np)
		kernels.SoftmaxRowsBackward(dS, pr, dP, batch*heads*seq, seq, a.scale)
		freeBuf(dP)
		if q.requiresGrad { // dQ_h += dS · K_h
			kernels.SgemmBatch(false, false, seq, hd, seq, 1, dS, seq, a.pOff, k.Data, hidden, a.hOff, 1, q.grad(), hidden, a.hOff)
		}
		if k.requiresGrad { // dK_h += dSᵀ · Q_h
			kernels.SgemmBatch(true, false, seq, hd, seq, 1, dS, seq, a.pOff, q.Data, hidden, a.hOff, 1, k.grad(), hidden, a.hOff)
		}
		freeBuf(dS)
	}, q, k, v)
	ctx.node.recompute = func(dst []float32) {
		_, dropped, done := regenerate()
		kernels.SgemmBatch(false, false, seq, hd, seq, 1, dropped, seq, a.pOff, v.Data, hidden, a.hOff, 0, dst, hidden, a.hOff)
		if p > 0 {
			freeBuf(dropped)
		}
		done()
	}
	if keepProbs {
		ctx.save(probs)
	}
	if p > 0 {
		ctx.save(mask.tensor())
	}
	return ctx, probs
}

// attentionLayout locates the (batch, head) blocks i = b·heads + h of one
// attention call: the head's rows of q/k/v/ctx start at hOff[i] with
// leading dimension hidden, its seq×seq probability block at pOff[i].
// SgemmBatch runs the blocks in parallel.
type attentionLayout struct {
	batch, seq, heads, hd int
	scale                 float32 // 1/√hd
	maskAdd               []float32
	hOff, pOff            []int
}

func newAttentionLayout(batch, seq, heads, hidden int, maskAdd []float32) *attentionLayout {
	hd := hidden / heads
	a := &attentionLayout{batch: batch, seq: seq, heads: heads, hd: hd, maskAdd: maskAdd,
		scale: float32(1 / math.Sqrt(float64(hd))),
		hOff:  make([]int, batch*heads), pOff: make([]int, batch*heads)}
	for b := 0; b < batch; b++ {
		for h := 0; h < heads; h++ {
			a.hOff[b*heads+h] = b*seq*hidden + h*hd
			a.pOff[b*heads+h] = (b*heads + h) * seq * seq
		}
	}
	return a
}

// probs writes softmax(q_bh·k_bhᵀ/√hd + mask_b) of every block into pr
// (batch·heads·seq² floats, overwritten when hd > 0).
func (a *attentionLayout) probs(pr, q, k []float32) {
	seq, ss, hidden := a.seq, a.seq*a.seq, a.heads*a.hd
	kernels.SgemmBatch(false, true, seq, seq, a.hd, 1, q, hidden, a.hOff, k, hidden, a.hOff, 0, pr, seq, a.pOff)
	for b := 0; b < a.batch; b++ {
		var mask []float32
		if a.maskAdd != nil {
			mask = a.maskAdd[b*seq : (b+1)*seq]
		}
		blk := pr[b*a.heads*ss : (b+1)*a.heads*ss]
		kernels.SoftmaxRows(blk, blk, a.heads*seq, seq, a.scale, mask)
	}
}

// AttentionContext is Attention's ctx for a call that records no graph
// and keeps no probabilities (inference without output_attentions): each
// (batch, head) block computes its scores, softmax and probs·v in a
// per-task seq×seq scratch that stays in cache, so no (batch, heads, seq,
// seq) tensor is written or read back. When an input requires grad it is
// AttentionDropoutContext without dropout: the graph keeps no
// probabilities, the backward recomputes them. The result (and gradient)
// is bit-identical to Attention's: the same GEMM and softmax kernels run on
// the same blocks.
func AttentionContext(q, k, v *Tensor, batch, seq, heads int, maskAdd []float32) *Tensor {
	if tracking(q, k, v) {
		ctx, _ := attention("AttentionContext", q, k, v, batch, seq, heads, maskAdd, 0, nil, false)
		return ctx
	}
	hidden := checkAttention("AttentionContext", q, k, v, batch, seq, heads, maskAdd)
	hd := hidden / heads
	if hd == 0 || batch*seq == 0 {
		return Zeros(q.Shape...)
	}
	ctx := empty(q.Shape...) // every block's GEMM (beta 0) writes its columns
	attentionBlocks(ctx.Data, q.Data, k.Data, v.Data, batch, seq, seq, heads, hidden, maskAdd)
	return ctx
}

// checkAttention panics, naming op, unless q, k and v are (batch·seq,
// hidden) with hidden divisible by heads and maskAdd is nil or batch·seq
// long; it returns hidden.
func checkAttention(op string, q, k, v *Tensor, batch, seq, heads int, maskAdd []float32) int {
	hidden := q.lastDim()
	if heads <= 0 || batch < 0 || seq < 0 || q.Dims() == 0 || hidden%heads != 0 ||
		q.Size() != batch*seq*hidden || k.Size() != q.Size() || v.Size() != q.Size() ||
		k.lastDim() != hidden || v.lastDim() != hidden {
		panic(fmt.Sprintf("tensor: %s: q %v k %v v %v with batch %d seq %d heads %d",
			op, q.Shape, k.Shape, v.Shape, batch, seq, heads))
	}
	if maskAdd != nil && len(maskAdd) != batch*seq {
		panic(fmt.Sprintf("tensor: %s: mask has %d entries, want %d", op, len(maskAdd), batch*seq))
	}
	return hidden
}
