package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"

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
// Each (batch, head) block calls kernels.Sgemm directly on the packed
// buffers with leading dimension hidden, so no head is copied or transposed.
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
	hidden := q.lastDim()
	if heads <= 0 || batch < 0 || seq < 0 || q.Dims() == 0 || hidden%heads != 0 ||
		q.Size() != batch*seq*hidden || k.Size() != q.Size() || v.Size() != q.Size() ||
		k.lastDim() != hidden || v.lastDim() != hidden {
		panic(fmt.Sprintf("tensor: Attention: q %v k %v v %v with batch %d seq %d heads %d",
			q.Shape, k.Shape, v.Shape, batch, seq, heads))
	}
	if maskAdd != nil && len(maskAdd) != batch*seq {
		panic(fmt.Sprintf("tensor: Attention: mask has %d entries, want %d", len(maskAdd), batch*seq))
	}
	hd := hidden / heads
	scale := float32(1 / math.Sqrt(float64(hd)))
	ss := seq * seq
	ctx = Zeros(q.Shape...)
	probs = Zeros(batch, heads, seq, seq)
	track := tracking(q, k, v)

	// dropped holds probs after dropout (what multiplies v); it aliases
	// probs when dropout is off. With dropout but no graph, one block of
	// scratch is enough.
	dropped := probs.Data
	var keepScale float32
	if p > 0 {
		if p < 1 {
			keepScale = 1 / (1 - p)
		}
		if track {
			dropped = make([]float32, len(probs.Data))
		} else {
			dropped = make([]float32, ss)
		}
	}
	for b := 0; b < batch; b++ {
		var mask []float32
		if maskAdd != nil {
			mask = maskAdd[b*seq : (b+1)*seq]
		}
		for h := 0; h < heads; h++ {
			off := b*seq*hidden + h*hd
			blk := (b*heads + h) * ss
			pr := probs.Data[blk : blk+ss]
			kernels.Sgemm(false, true, seq, seq, hd, 1, q.Data[off:], hidden, k.Data[off:], hidden, 0, pr, max(seq, 1))
			kernels.SoftmaxRows(pr, pr, seq, seq, scale, mask)
			pd := pr
			if p > 0 {
				if track {
					pd = dropped[blk : blk+ss]
				} else {
					pd = dropped
				}
				for i, x := range pr {
					if rng.Float32() >= p {
						pd[i] = x * keepScale
					} else {
						pd[i] = 0
					}
				}
			}
			kernels.Sgemm(false, false, seq, hd, seq, 1, pd, max(seq, 1), v.Data[off:], hidden, 0, ctx.Data[off:], hidden)
		}
	}
	if !track {
		return ctx, probs
	}
	ctx.record(func(dctx []float32) {
		// Scratch for one block: dP = d(loss)/d(dropped probs), dS = d/d(q·kᵀ).
		dP := make([]float32, ss)
		dS := make([]float32, ss)
		needQK := q.requiresGrad || k.requiresGrad
		for b := 0; b < batch; b++ {
			for h := 0; h < heads; h++ {
				off := b*seq*hidden + h*hd
				blk := (b*heads + h) * ss
				pr := probs.Data[blk : blk+ss]
				pd := dropped[blk : blk+ss]
				if v.requiresGrad { // dV_h += Pdᵀ · dctx_h
					kernels.Sgemm(true, false, seq, hd, seq, 1, pd, max(seq, 1), dctx[off:], hidden, 1, v.grad()[off:], hidden)
				}
				if !needQK {
					continue
				}
				// dP = dctx_h · v_hᵀ
				kernels.Sgemm(false, true, seq, seq, hd, 1, dctx[off:], hidden, v.Data[off:], hidden, 0, dP, max(seq, 1))
				if p > 0 {
					// A kept entry has pd = pr·keepScale != 0 whenever pr > 0;
					// where pr == 0 the softmax backward multiplies by 0 anyway,
					// so the dropout mask is recovered without storing it.
					for i := range dP {
						if pd[i] != 0 {
							dP[i] *= keepScale
						} else {
							dP[i] = 0
						}
					}
				}
				clear(dS)
				kernels.SoftmaxRowsBackward(dS, pr, dP, seq, seq, scale)
				if q.requiresGrad { // dQ_h += dS · K_h
					kernels.Sgemm(false, false, seq, hd, seq, 1, dS, max(seq, 1), k.Data[off:], hidden, 1, q.grad()[off:], hidden)
				}
				if k.requiresGrad { // dK_h += dSᵀ · Q_h
					kernels.Sgemm(true, false, seq, hd, seq, 1, dS, max(seq, 1), q.Data[off:], hidden, 1, k.grad()[off:], hidden)
				}
			}
		}
	}, q, k, v)
	return ctx, probs
}
