package tensor

import (
	"fmt"
	"math"

	"github.com/medbert/medbert/kernels"
)

// AttentionQueries is AttentionContext for the first few positions of each
// sequence only: q holds nq query rows per sequence (batch·nq rows, the
// sequences' first nq positions in order), k and v all batch·seq rows. It
// returns the (batch·nq, hidden) context of those queries, for a forward
// that reads only some positions of the last layer (a classifier on
// [CLS]). Every query row runs the same GEMM and softmax kernels on the
// same data as in AttentionContext; its context matches the row there up
// to the GEMM's summation order for a short M (bit for bit at BERT's
// shapes, where one K block covers the head and the sequence). It records
// no graph: an input that requires grad is a programming error.
func AttentionQueries(q, k, v *Tensor, batch, seq, heads int, maskAdd []float32) *Tensor {
	if tracking(q, k, v) {
		panic("tensor: AttentionQueries records no graph; use Attention")
	}
	hidden := q.lastDim()
	if heads <= 0 || batch <= 0 || seq < 0 || q.Dims() == 0 || hidden%heads != 0 ||
		q.Size()%(batch*max(hidden, 1)) != 0 || k.Size() != batch*seq*hidden || v.Size() != k.Size() ||
		k.lastDim() != hidden || v.lastDim() != hidden {
		panic(fmt.Sprintf("tensor: AttentionQueries: q %v k %v v %v with batch %d seq %d heads %d",
			q.Shape, k.Shape, v.Shape, batch, seq, heads))
	}
	if maskAdd != nil && len(maskAdd) != batch*seq {
		panic(fmt.Sprintf("tensor: AttentionQueries: mask has %d entries, want %d", len(maskAdd), batch*seq))
	}
	hd := hidden / heads
	nq := q.Size() / (batch * max(hidden, 1))
	if nq > seq {
		panic(fmt.Sprintf("tensor: AttentionQueries: %d queries per sequence of %d", nq, seq))
	}
	if hd == 0 || nq == 0 || seq == 0 {
		return Zeros(q.Shape...)
	}
	ctx := empty(q.Shape...) // every block's GEMM (beta 0) writes its columns
	attentionBlocks(ctx.Data, q.Data, k.Data, v.Data, batch, seq, nq, heads, hidden, maskAdd)
	return ctx
}

// attentionBlocks writes the attention context of nq queries per sequence
// (q: batch·nq rows) against seq keys and values (k, v: batch·seq rows)
// into ctx, one (batch, head) block per task: scores q·kᵀ, the scaled and
// masked softmax and probs·v in a per-task nq×seq scratch that stays in
// cache. All rows have hidden floats, heads of hidden/heads.
func attentionBlocks(ctx, q, k, v []float32, batch, seq, nq, heads, hidden int, maskAdd []float32) {
	hd := hidden / heads
	scale := float32(1 / math.Sqrt(float64(hd)))
	kernels.ParallelFor(batch*heads, 1, func(lo, hi int) {
		scores := newBufDirty(nq * seq)
		defer freeBuf(scores)
		for i := lo; i < hi; i++ {
			b, h := i/heads, i%heads
			qo := b*nq*hidden + h*hd
			ko := b*seq*hidden + h*hd
			var mask []float32
			if maskAdd != nil {
				mask = maskAdd[b*seq : (b+1)*seq]
			}
			kernels.Sgemm(false, true, nq, seq, hd, 1, q[qo:], hidden, k[ko:], hidden, 0, scores, seq)
			kernels.SoftmaxRows(scores, scores, nq, seq, scale, mask)
			kernels.Sgemm(false, false, nq, hd, seq, 1, scores, seq, v[ko:], hidden, 0, ctx[qo:], hidden)
		}
	})
}
