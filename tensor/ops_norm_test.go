package tensor

import (
	"math"
	"math/rand/v2"
	"testing"
)

// lnCase builds x = Add(a, b) (an intermediate, as a residual sum is),
// γ ~ 1 + N(0, 0.3²) and β ~ N(0, 0.5²), and returns the leaves and x.
func lnCase(seed uint64, rows, d int) (a, b, g, beta *Tensor) {
	rng := rand.New(rand.NewPCG(seed, 1))
	a, b = randTensor(rng, 1, rows, d), randTensor(rng, 1, rows, d)
	g, beta = randTensor(rng, 0.3, d), randTensor(rng, 0.5, d)
	for i := range g.Data {
		g.Data[i] += 1
	}
	a.Data[0] += 40 // one row far from zero mean: centring must come back exactly
	return a, b, g, beta
}

// lnGrads runs L = Σ r·norm(Add(a, b)) backward and returns y and the
// gradients of a, γ and β (a's gradient is x's: Add passes it through).
func lnGrads(norm func(x, g, b *Tensor, eps float32) *Tensor, a, b, g, beta *Tensor, r []float32) (y, da, dg, db []float32, x *Tensor) {
	for _, t := range []*Tensor{a, b, g, beta} {
		t.Grad = nil
	}
	x = Add(a, b)
	out := norm(x, g, beta, 1e-12)
	y = append([]float32(nil), out.Data...)
	out.backwardFrom(r)
	return y, a.Grad, g.Grad, beta.Grad, x
}

// The output-based backward gives LayerNorm's gradients to float32
// rounding, releases the input at once, and survives a second Backward and
// FreeGraph.
func TestLayerNormFreeInputMatchesLayerNorm(t *testing.T) {
	for _, sh := range [][2]int{{1, 1}, {1, 7}, {5, 33}, {64, 768}} {
		rows, d := sh[0], sh[1]
		a, b, g, beta := lnCase(uint64(rows*1000+d), rows, d)
		r := make([]float32, rows*d)
		rng := rand.New(rand.NewPCG(9, uint64(d)))
		for i := range r {
			r[i] = float32(rng.NormFloat64())
		}
		y0, da0, dg0, db0, _ := lnGrads(LayerNorm, a, b, g, beta, r)
		da0, dg0, db0 = clone(da0), clone(dg0), clone(db0)
		y1, da1, dg1, db1, x := lnGrads(LayerNormFreeInput, a, b, g, beta, r)
		if x.Data != nil {
			t.Fatalf("%v: input kept (len %d)", sh, len(x.Data))
		}
		if !equalBits(y0, y1) {
			t.Fatalf("%v: outputs differ", sh)
		}
		for _, c := range []struct {
			name string
			want []float32
			got  []float32
		}{{"dx", da0, da1}, {"dgamma", dg0, dg1}, {"dbeta", db0, db1}} {
			if e := relErr(c.got, c.want); e > 2e-5 {
				t.Errorf("%v %s: relative error %.2g", sh, c.name, e)
			}
		}
	}
}

// Each fallback keeps the input and gives LayerNorm's exact bits: a zero
// γ, |β/γ| above the bound, a leaf input, a view, no graph.
func TestLayerNormFreeInputFallbacks(t *testing.T) {
	rows, d := 4, 9
	r := make([]float32, rows*d)
	for i := range r {
		r[i] = float32(i%5) - 2
	}
	cases := map[string]func(g, beta *Tensor){
		"zero gamma":     func(g, _ *Tensor) { g.Data[3] = 0 },
		"large beta":     func(g, beta *Tensor) { beta.Data[2] = 65 * g.Data[2] },
		"negative large": func(g, beta *Tensor) { g.Data[1] = -0.01; beta.Data[1] = 0.7 },
	}
	for name, edit := range cases {
		a, b, g, beta := lnCase(3, rows, d)
		edit(g, beta)
		_, da0, dg0, _, _ := lnGrads(LayerNorm, a, b, g, beta, r)
		da0, dg0 = clone(da0), clone(dg0)
		_, da1, dg1, _, x := lnGrads(LayerNormFreeInput, a, b, g, beta, r)
		if x.Data == nil || !equalBits(da0, da1) || !equalBits(dg0, dg1) {
			t.Errorf("%s: not LayerNorm (input kept %v)", name, x.Data != nil)
		}
	}
	a, _, g, beta := lnCase(4, rows, d)
	LayerNormFreeInput(a, g, beta, 1e-12)
	if a.Data == nil {
		t.Error("leaf input released")
	}
	v := Reshape(Add(a, a), rows*d)
	v = Reshape(v, rows, d)
	LayerNormFreeInput(v, g, beta, 1e-12)
	if v.Data == nil {
		t.Error("view released")
	}
	x := Add(a.Detach(), a.Detach())
	LayerNormFreeInput(x, g.Detach(), beta.Detach(), 1e-12)
	if x.Data == nil {
		t.Error("input released without a graph")
	}
}

// Backward twice accumulates twice; FreeGraph after it does not trip on
// the emptied input.
func TestLayerNormFreeInputTwiceAndFree(t *testing.T) {
	a, b, g, beta := lnCase(5, 3, 16)
	x := Add(a, b)
	loss := Sum(Mul(LayerNormFreeInput(x, g, beta, 1e-12), LayerNormFreeInput(Add(b, b), g, beta, 1e-12)))
	loss.Backward()
	once := clone(g.Grad)
	loss.Backward()
	for i, v := range g.Grad {
		if math.Abs(float64(v-2*once[i])) > 1e-5*math.Abs(float64(once[i]))+1e-6 {
			t.Fatalf("dgamma[%d] after two passes %g, want %g", i, v, 2*once[i])
		}
	}
	loss.FreeGraph()
}

func clone(s []float32) []float32 { return append([]float32(nil), s...) }

func equalBits(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

// relErr is max|got−want| over max|want|.
func relErr(got, want []float32) float64 {
	var m, e float64
	for i := range want {
		m = math.Max(m, math.Abs(float64(want[i])))
		e = math.Max(e, math.Abs(float64(got[i]-want[i])))
	}
	if len(got) != len(want) {
		return math.Inf(1)
	}
	return e / m
}
