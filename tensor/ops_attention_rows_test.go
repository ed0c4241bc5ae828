package tensor

import (
	"math"
	"math/rand/v2"
	"testing"
)

// naiveQueries computes the context of the first nq positions of each
// sequence in float64, straight from the formula.
func naiveQueries(q, k, v []float32, batch, seq, nq, heads, hidden int, mask []float32) []float64 {
	hd := hidden / heads
	out := make([]float64, batch*nq*hidden)
	for b := range batch {
		for h := range heads {
			for i := range nq {
				s := make([]float64, seq)
				mx := math.Inf(-1)
				for j := range seq {
					var d float64
					for c := range hd {
						d += float64(q[(b*nq+i)*hidden+h*hd+c]) * float64(k[(b*seq+j)*hidden+h*hd+c])
					}
					s[j] = d / math.Sqrt(float64(hd))
					if mask != nil {
						s[j] += float64(mask[b*seq+j])
					}
					mx = math.Max(mx, s[j])
				}
				var z float64
				for j := range s {
					s[j] = math.Exp(s[j] - mx)
					z += s[j]
				}
				for c := range hd {
					var acc float64
					for j := range seq {
						acc += s[j] / z * float64(v[(b*seq+j)*hidden+h*hd+c])
					}
					out[(b*nq+i)*hidden+h*hd+c] = acc
				}
			}
		}
	}
	return out
}

func TestAttentionQueries(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	for _, c := range []struct{ batch, seq, nq, heads, hidden int }{
		{3, 5, 1, 4, 16}, {1, 1, 1, 1, 8}, {2, 17, 3, 3, 24}, {2, 128, 1, 2, 128}, {2, 9, 9, 1, 5}, {1, 4, 0, 2, 8},
	} {
		k := randTensor(rng, 1, c.batch, c.seq, c.hidden).Detach()
		v := randTensor(rng, 1, c.batch, c.seq, c.hidden).Detach()
		full := randTensor(rng, 1, c.batch, c.seq, c.hidden).Detach()
		// The queries are the first nq rows of each sequence of full.
		q := Zeros(c.batch*c.nq, c.hidden)
		for b := range c.batch {
			copy(q.Data[b*c.nq*c.hidden:(b+1)*c.nq*c.hidden], full.Data[b*c.seq*c.hidden:])
		}
		mask := make([]float32, c.batch*c.seq)
		for j := 1; j < c.seq; j += 2 {
			mask[j] = -math.MaxFloat32 // the first sequence masks every other key
		}
		for _, m := range [][]float32{mask, nil} {
			got := AttentionQueries(q, k, v, c.batch, c.seq, c.heads, m)
			if len(got.Data) != len(q.Data) {
				t.Fatalf("%+v: %d values, want %d", c, len(got.Data), len(q.Data))
			}
			want := naiveQueries(q.Data, k.Data, v.Data, c.batch, c.seq, c.nq, c.heads, c.hidden, m)
			for i, w := range want {
				if d := math.Abs(float64(got.Data[i]) - w); d > 1e-5 {
					t.Fatalf("%+v mask %v: ctx[%d] = %g, formula %g", c, m != nil, i, got.Data[i], w)
				}
			}
			// Against the full attention's rows: bit for bit when one K block
			// covers the head and the sequence.
			ctx := AttentionContext(full, k, v, c.batch, c.seq, c.heads, m)
			for b := range c.batch {
				for i := range c.nq * c.hidden {
					g, w := got.Data[b*c.nq*c.hidden+i], ctx.Data[b*c.seq*c.hidden+i]
					if c.seq == 128 && g != w {
						t.Fatalf("%+v: ctx row differs from AttentionContext's: %g vs %g", c, g, w)
					}
					if math.Abs(float64(g-w)) > 1e-6 {
						t.Fatalf("%+v: ctx row differs from AttentionContext's by %g", c, g-w)
					}
				}
			}
		}
	}
	k := randTensor(rng, 1, 1, 3, 4)
	k.SetRequiresGrad(true)
	defer func() {
		if recover() == nil {
			t.Error("AttentionQueries recorded nothing for an input that requires grad, without panicking")
		}
	}()
	AttentionQueries(k.Detach(), k, k, 1, 3, 2, nil)
}
