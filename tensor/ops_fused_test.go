package tensor

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestLinearDropoutAddMatchesComposition: LinearDropoutAdd and
// GELULinearDropoutAdd give the values and the (accumulated) gradients of
// Add(Dropout(Linear([GELU](x), w, b), p, rng), residual) bit for bit, over
// shapes from no rows to more than one dropout block, with and without a
// bias, for p 0, 0.1 and 1 and for every subset of inputs needing a
// gradient that matters.
func TestLinearDropoutAddMatchesComposition(t *testing.T) {
	shapes := []struct{ rows, in, out int }{{0, 3, 2}, {1, 1, 1}, {3, 5, 7}, {2, 4, 1}, {70, 8, 500}}
	for _, s := range shapes {
		for _, bias := range []bool{true, false} {
			for _, p := range []float32{0, 0.1, 1} {
				for _, gelu := range []bool{false, true} {
					for _, need := range []string{"xwbr", "r", "x", "w"} {
						name := fmt.Sprintf("r%d_i%d_o%d_bias%v_p%v_gelu%v_%s", s.rows, s.in, s.out, bias, p, gelu, need)
						t.Run(name, func(t *testing.T) { checkLinearDropoutAdd(t, s.rows, s.in, s.out, bias, p, gelu, need) })
					}
				}
			}
		}
	}
}

func checkLinearDropoutAdd(t *testing.T, rows, in, out int, bias bool, p float32, gelu bool, need string) {
	type result struct {
		y     []float32
		grads [][]float32
	}
	run := func(fused bool) result {
		rng := rand.New(rand.NewPCG(uint64(rows*in+out), 3))
		x := randTensor(rng, 1, rows, in)
		w := randTensor(rng, 0.5, out, in)
		var b *Tensor
		if bias {
			b = randTensor(rng, 0.5, out)
		}
		r := randTensor(rng, 1, rows, out)
		ins := []*Tensor{x, w, b, r}
		for i, in := range ins {
			if in == nil {
				continue
			}
			in.SetRequiresGrad(need == "xwbr" || need == "xwbr"[i:i+1])
			if in.RequiresGrad() {
				in.Grad = make([]float32, in.Size())
				specialValues(rng, in.Grad)
				if len(in.Grad) > 5 {
					in.Grad[3], in.Grad[5] = 1, -1 // infinities would hide the comparison
				}
			}
		}
		seed := make([]float32, rows*out)
		specialValues(rng, seed)
		if len(seed) > 5 {
			seed[3], seed[5] = 2, -2
		}
		drop := rand.New(rand.NewPCG(5, 6))
		var y *Tensor
		switch {
		case fused && gelu:
			y = GELULinearDropoutAdd(x, w, b, r, p, drop)
		case fused:
			y = LinearDropoutAdd(x, w, b, r, p, drop)
		default:
			h := x
			if gelu {
				h = GELU(x)
			}
			y = Add(Dropout(Linear(h, w, b), p, drop), r)
		}
		res := result{y: append([]float32(nil), y.Data...)}
		if y.Size() > 0 {
			y.backwardFrom(seed)
		}
		for _, in := range ins {
			if in != nil {
				res.grads = append(res.grads, in.Grad)
			}
		}
		return res
	}
	got, want := run(true), run(false)
	sameBits(t, "y", got.y, want.y)
	for i := range want.grads {
		sameBits(t, fmt.Sprintf("grad %d", i), got.grads[i], want.grads[i])
	}
}

// TestLinearDropoutAddKeepsOnlyItsOutput: the fused op's graph holds its
// output and a bit mask, not the projection or its dropped copy.
func TestLinearDropoutAddKeepsOnlyItsOutput(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	x := randTensor(rng, 1, 64, 32)
	w := randTensor(rng, 0.1, 32, 32)
	r := randTensor(rng, 1, 64, 32)
	y := GELULinearDropoutAdd(x, w, nil, r, 0.1, rand.New(rand.NewPCG(2, 2)))
	saved := 0
	for _, s := range y.node.saved {
		saved += len(s.Data)
	}
	if want := (64*32 + 31) / 32; saved != want {
		t.Errorf("saved %d floats besides the output, want %d (the mask bits)", saved, want)
	}
	if len(y.node.inputs) != 3 {
		t.Errorf("graph inputs %d, want 3 (x, w, residual)", len(y.node.inputs))
	}
}

// AttentionLinearDropoutAdd gives the values and gradients of
// LinearDropoutAdd(AttentionDropoutContext(...)) bit for bit (including a
// second Backward, which rebuilds the context again), and keeps no context
// buffer when the projection drops out.
func TestAttentionLinearDropoutAddMatchesComposition(t *testing.T) {
	cases := []struct {
		batch, seq, heads, hd int
		mask                  bool
		pAttn, p              float32
	}{{1, 1, 1, 1, false, 0.1, 0.1}, {2, 5, 3, 4, true, 0.1, 0.1}, {3, 17, 2, 8, true, 0, 0.5}, {2, 9, 4, 2, false, 0.3, 0}}
	for _, c := range cases {
		name := fmt.Sprintf("b%d_s%d_h%d_d%d_mask%v_pa%v_p%v", c.batch, c.seq, c.heads, c.hd, c.mask, c.pAttn, c.p)
		t.Run(name, func(t *testing.T) {
			hidden := c.heads * c.hd
			run := func(fused bool) (y []float32, grads [][]float32, ctxKept bool) {
				rng := rand.New(rand.NewPCG(uint64(hidden), 9))
				n := c.batch * c.seq
				q, k, v := randTensor(rng, 1, n, hidden), randTensor(rng, 1, n, hidden), randTensor(rng, 1, n, hidden)
				w, b, r := randTensor(rng, 0.3, hidden, hidden), randTensor(rng, 0.3, hidden), randTensor(rng, 1, n, hidden)
				var mask []float32
				if c.mask {
					mask = make([]float32, n)
					for i := range mask {
						if i%c.seq == c.seq-1 && c.seq > 1 {
							mask[i] = -3.4e38
						}
					}
				}
				drop := rand.New(rand.NewPCG(5, 6))
				var out *Tensor
				if fused {
					out = AttentionLinearDropoutAdd(q, k, v, c.batch, c.seq, c.heads, mask, c.pAttn, w, b, r, c.p, drop)
					ctxKept = out.node.inputs[0].Data != nil
				} else {
					ctx := AttentionDropoutContext(q, k, v, c.batch, c.seq, c.heads, mask, c.pAttn, drop)
					out = LinearDropoutAdd(ctx, w, b, r, c.p, drop)
				}
				seed := make([]float32, out.Size())
				specialValues(rng, seed)
				if len(seed) > 5 {
					seed[3], seed[5] = 2, -2
				}
				y = append([]float32(nil), out.Data...)
				out.backwardFrom(seed)
				out.backwardFrom(seed)
				for _, in := range []*Tensor{q, k, v, w, b, r} {
					grads = append(grads, in.Grad)
				}
				return y, grads, ctxKept
			}
			y1, g1, kept := run(true)
			y0, g0, _ := run(false)
			sameBits(t, "y", y1, y0)
			for i := range g0 {
				sameBits(t, fmt.Sprintf("grad %d", i), g1[i], g0[i])
			}
			if kept != (c.p == 0) {
				t.Errorf("context kept %v with p %v", kept, c.p)
			}
		})
	}
}
