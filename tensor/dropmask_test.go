package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/medbert/medbert/kernels"
)

// refDropMask is the reference dropout mask: a float32 per element, scale
// where kept and 0 where dropped, drawn exactly as dropInto draws (two
// elements per Uint64 from rng up to dropBlock elements, else one seed from
// rng and a PCG stream (seed, b) per block of dropBlock elements).
func refDropMask(n int, p float32, rng *rand.Rand) []float32 {
	var scale float32
	if p < 1 {
		scale = 1 / (1 - p)
	}
	thr := uint64(min(float64(p), 1) * (1 << 32))
	mask := make([]float32, n)
	fill := func(m []float32, next func() uint64) {
		var bits uint64
		for i := range m {
			if i%2 == 0 {
				bits = next()
			} else {
				bits >>= 32
			}
			if bits&0xffffffff >= thr {
				m[i] = scale
			}
		}
	}
	if n <= dropBlock {
		fill(mask, rng.Uint64)
		return mask
	}
	seed := rng.Uint64()
	for b := 0; b*dropBlock < n; b++ {
		var pcg rand.PCG
		pcg.Seed(seed, uint64(b))
		fill(mask[b*dropBlock:min((b+1)*dropBlock, n)], pcg.Uint64)
	}
	return mask
}

// specialValues fills d with N(0,1) values and a few exact zeros, a
// negative zero and infinities, so that bit-identity covers signed zeros and
// the NaN of Inf·0.
func specialValues(rng *rand.Rand, d []float32) {
	for i := range d {
		d[i] = float32(rng.NormFloat64())
		switch rng.IntN(17) {
		case 0:
			d[i] = 0
		case 1:
			d[i] = float32(math.Copysign(0, -1))
		}
	}
	if len(d) > 5 {
		d[3] = float32(math.Inf(1))
		d[5] = float32(math.Inf(-1))
	}
}

func sameBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s[%d] = %v (%#x), want %v (%#x)", what, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
		}
	}
}

// TestDropoutMatchesFloatMaskReference: Dropout's output and its backward
// (accumulated into a non-zero gradient) are bit-identical to a float32
// mask reference y = x∘mask, dx += dy∘mask, over sizes around the mask word
// and dropout block boundaries, including 0 and 1 elements.
func TestDropoutMatchesFloatMaskReference(t *testing.T) {
	sizes := []int{0, 1, 2, 3, 31, 32, 33, 63, 64, 65, 1001, dropBlock - 1, dropBlock, dropBlock + 1, 2*dropBlock + 37}
	for _, n := range sizes {
		for _, p := range []float32{0.1, 0.5, 1} {
			t.Run(fmt.Sprintf("n%d_p%v", n, p), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(uint64(n), 5))
				x := Zeros(n)
				specialValues(rng, x.Data)
				x.SetRequiresGrad(true)
				x.Grad = make([]float32, n)
				specialValues(rng, x.Grad)
				grad0 := append([]float32(nil), x.Grad...)
				seed := make([]float32, n)
				specialValues(rng, seed)

				mask := refDropMask(n, p, rand.New(rand.NewPCG(uint64(n), 9)))
				y := Dropout(x, p, rand.New(rand.NewPCG(uint64(n), 9)))
				wantY := make([]float32, n)
				for i, v := range x.Data {
					if mask[i] != 0 {
						wantY[i] = v * mask[i]
					}
				}
				sameBits(t, "y", y.Data, wantY)
				saved := 0
				for _, s := range y.node.saved {
					saved += len(s.Data)
				}
				if want := (n + 31) / 32; saved != want {
					t.Fatalf("saved %d floats, want %d (one bit per element)", saved, want)
				}
				if n == 0 {
					return
				}
				y.RetainGrad()
				y.backwardFrom(seed)
				want := grad0
				for i, g := range y.Grad {
					want[i] += g * mask[i]
				}
				sameBits(t, "dx", x.Grad, want)
			})
		}
	}
}

// attentionDropoutRef is AttentionDropout written with a stored float32
// mask and stored dropped probabilities (ctx = (probs∘mask)·v), the
// straightforward form the compact implementation must reproduce bit for
// bit. It runs the same kernels on the same blocks.
func attentionDropoutRef(q, k, v *Tensor, batch, seq, heads int, maskAdd []float32, p float32, rng *rand.Rand) (ctx, probs *Tensor) {
	ctx, probs = Attention(q.Detach(), k.Detach(), v.Detach(), batch, seq, heads, maskAdd)
	hidden := q.lastDim()
	hd := hidden / heads
	scale := float32(1 / math.Sqrt(float64(hd)))
	if batch*seq == 0 {
		return ctx, probs
	}
	hOff := make([]int, batch*heads)
	pOff := make([]int, batch*heads)
	for i := range hOff {
		b, h := i/heads, i%heads
		hOff[i] = b*seq*hidden + h*hd
		pOff[i] = i * seq * seq
	}
	mask := refDropMask(len(probs.Data), p, rng)
	dropped := make([]float32, len(probs.Data))
	for i, pr := range probs.Data {
		if mask[i] != 0 {
			dropped[i] = pr * mask[i]
		}
	}
	kernels.SgemmBatch(false, false, seq, hd, seq, 1, dropped, seq, pOff, v.Data, hidden, hOff, 0, ctx.Data, hidden, hOff)
	ctx.record(func(dctx []float32) {
		if v.requiresGrad {
			kernels.SgemmBatch(true, false, seq, hd, seq, 1, dropped, seq, pOff, dctx, hidden, hOff, 1, v.grad(), hidden, hOff)
		}
		dP := make([]float32, len(probs.Data))
		kernels.SgemmBatch(false, true, seq, seq, hd, 1, dctx, hidden, hOff, v.Data, hidden, hOff, 0, dP, seq, pOff)
		for i, d := range dropped {
			if d != 0 {
				dP[i] *= mask[i]
			} else {
				dP[i] = 0
			}
		}
		dS := make([]float32, len(probs.Data))
		kernels.SoftmaxRowsBackward(dS, probs.Data, dP, batch*heads*seq, seq, scale)
		if q.requiresGrad {
			kernels.SgemmBatch(false, false, seq, hd, seq, 1, dS, seq, pOff, k.Data, hidden, hOff, 1, q.grad(), hidden, hOff)
		}
		if k.requiresGrad {
			kernels.SgemmBatch(true, false, seq, hd, seq, 1, dS, seq, pOff, q.Data, hidden, hOff, 1, k.grad(), hidden, hOff)
		}
	}, q, k, v)
	return ctx, probs
}

// TestAttentionDropoutMatchesFloatMaskReference: ctx, probs and the q, k, v
// gradients of AttentionDropout (and ctx and the gradients of
// AttentionDropoutContext) equal the stored-mask reference bit for bit,
// for shapes from one element to more than one dropout block, with and
// without a key mask, and with only some inputs requiring grad.
func TestAttentionDropoutMatchesFloatMaskReference(t *testing.T) {
	cases := []struct{ batch, seq, heads, hd int }{
		{1, 1, 1, 1}, {1, 0, 2, 2}, {0, 3, 1, 2}, {2, 3, 1, 5}, {3, 7, 2, 3}, {2, 33, 3, 4},
		{2, 65, 4, 2}, // 33800 probabilities: several dropout blocks
	}
	for _, c := range cases {
		for _, p := range []float32{0.1, 0.6, 1} {
			for _, which := range []string{"qkv", "q", "v"} {
				name := fmt.Sprintf("b%d_s%d_h%d_d%d_p%v_%s", c.batch, c.seq, c.heads, c.hd, p, which)
				t.Run(name, func(t *testing.T) {
					checkAttentionDropoutRef(t, c.batch, c.seq, c.heads, c.hd, p, which)
				})
			}
		}
	}
}

func checkAttentionDropoutRef(t *testing.T, batch, seq, heads, hd int, p float32, which string) {
	hidden := heads * hd
	n := batch * seq
	var mask []float32
	if n > 1 {
		mask = make([]float32, n)
		mask[n-1] = -math.MaxFloat32 // the last key of the last sequence is padding
	}
	run := func(f func(q, k, v *Tensor, batch, seq, heads int, maskAdd []float32, p float32, rng *rand.Rand) (*Tensor, *Tensor)) (ctx, probs *Tensor, grads [][]float32) {
		rng := rand.New(rand.NewPCG(uint64(n), uint64(hidden)))
		var qkv [3]*Tensor
		for i := range qkv {
			qkv[i] = randTensor(rng, 1, n, hidden)
			qkv[i].SetRequiresGrad(which == "qkv" || which == "qkv"[i:i+1])
			if qkv[i].RequiresGrad() {
				qkv[i].Grad = make([]float32, n*hidden)
				specialValues(rng, qkv[i].Grad)
				for j, g := range qkv[i].Grad {
					if math.IsInf(float64(g), 0) {
						qkv[i].Grad[j] = 1 // infinities here would hide the comparison
					}
				}
			}
		}
		seed := make([]float32, n*hidden)
		for i := range seed {
			seed[i] = float32(rng.NormFloat64())
		}
		ctx, probs = f(qkv[0], qkv[1], qkv[2], batch, seq, heads, mask, p, rand.New(rand.NewPCG(3, 4)))
		if n > 0 {
			ctx.backwardFrom(seed)
		}
		for _, x := range qkv {
			grads = append(grads, x.Grad)
		}
		return ctx, probs, grads
	}
	ctx, probs, grads := run(AttentionDropout)
	wctx, wprobs, wgrads := run(attentionDropoutRef)
	sameBits(t, "ctx", ctx.Data, wctx.Data)
	sameBits(t, "probs", probs.Data, wprobs.Data)
	for i, name := range []string{"dq", "dk", "dv"} {
		sameBits(t, name, grads[i], wgrads[i])
	}
	// AttentionDropoutContext recomputes the probabilities in the backward.
	cctx, _, cgrads := run(func(q, k, v *Tensor, batch, seq, heads int, maskAdd []float32, p float32, rng *rand.Rand) (*Tensor, *Tensor) {
		return AttentionDropoutContext(q, k, v, batch, seq, heads, maskAdd, p, rng), nil
	})
	sameBits(t, "context-only ctx", cctx.Data, wctx.Data)
	for i, name := range []string{"dq", "dk", "dv"} {
		sameBits(t, "context-only "+name, cgrads[i], wgrads[i])
	}
	if n > 0 && p > 0 {
		saved := 0
		for _, s := range cctx.node.saved {
			saved += len(s.Data)
		}
		if want := (batch*heads*seq*seq + 31) / 32; saved != want {
			t.Errorf("AttentionDropoutContext saved %d floats, want %d (the mask bits)", saved, want)
		}
	}
}
