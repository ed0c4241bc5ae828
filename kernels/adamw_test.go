package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// adamwScalarsAt returns the scalars optim computes for step t (torch 1.13
// AdamW, lr 2e-5, betas (0.9, 0.999), eps 1e-8, weight decay wd).
func adamwScalarsAt(t int, wd float64) AdamWScalars {
	const lr, b1, b2 = 2e-5, 0.9, 0.999
	return AdamWScalars{
		Decay: float32(1 - lr*wd), DoDecay: wd != 0,
		B1: b1, B2: b2, C1: 1 - b1, C2: 1 - b2,
		NegStep: float32(-lr / (1 - math.Pow(b1, float64(t)))),
		BC2Sqrt: float32(math.Sqrt(1 - math.Pow(b2, float64(t)))),
		Eps:     1e-8,
	}
}

// adamwInputs draws parameters, gradients and moments over the magnitudes
// training sees: gradients from 1e-6 to 10 (and exact zeros), v ≥ 0 from 0
// to 1e2, so √v/BC2Sqrt spans far above and below Eps.
func adamwInputs(r *rand.Rand, n int) (p, g, m, v []float32) {
	p, g, m, v = make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range n {
		mag := float32(math.Pow(10, -6+7*r.Float64()))
		p[i] = (r.Float32()*2 - 1) * 0.1
		g[i] = (r.Float32()*2 - 1) * mag
		m[i] = (r.Float32()*2 - 1) * mag * 0.5
		v[i] = r.Float32() * mag * mag
		if r.IntN(16) == 0 {
			g[i], m[i], v[i] = 0, 0, 0
		}
	}
	return p, g, m, v
}

// TestAdamWBitIdentical: every impl gives adamwGeneric's exact bits (the
// optimizer's golden tests compare bits), at every size and start offset,
// with and without weight decay, leaving the guards and the gradients alone.
func TestAdamWBitIdentical(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *impl) {
		r := rand.New(rand.NewPCG(31, 32))
		for _, n := range append(vecSizes(r), 1<<15+13) {
			for _, step := range []int{1, 7, 1000} {
				for c, wd := range []float64{0, 0.01, 0, 0.01} {
					s := adamwScalarsAt(step, wd)
					off := r.IntN(8)
					p0, g, m0, v0 := adamwInputs(r, n+off)
					p0, g, m0, v0 = p0[off:], g[off:], m0[off:], v0[off:]
					g0 := append([]float32(nil), g...)
					wp, wm, wv := append([]float32(nil), p0...), append([]float32(nil), m0...), append([]float32(nil), v0...)
					// The reference reads gradients scaled beforehand, as
					// clip_grad_norm_ leaves them; the update under test scales
					// them itself (ScaleGrad) in the last two cases.
					gw := g
					if c >= 2 {
						const scale = float32(0.37)
						gw = make([]float32, len(g))
						for i, x := range g {
							gw[i] = x * scale
						}
						s.ScaleGrad, s.GradScale = true, scale
					}
					sRef := s
					sRef.ScaleGrad = false
					adamwGeneric(wp, gw, wm, wv, sRef)

					p, pa := guarded(n)
					m, ma := guarded(n)
					v, va := guarded(n)
					copy(p, p0)
					copy(m, m0)
					copy(v, v0)
					AdamW(p, g, m, v, s)
					checkGuards(t, pa, n)
					checkGuards(t, ma, n)
					checkGuards(t, va, n)
					if !sameBits(g, g0) {
						t.Fatalf("n=%d: gradients modified", n)
					}
					for i := range n {
						if math.Float32bits(p[i]) != math.Float32bits(wp[i]) ||
							math.Float32bits(m[i]) != math.Float32bits(wm[i]) ||
							math.Float32bits(v[i]) != math.Float32bits(wv[i]) {
							t.Fatalf("n=%d step=%d wd=%g i=%d: p,m,v = %g,%g,%g; generic %g,%g,%g",
								n, step, wd, i, p[i], m[i], v[i], wp[i], wm[i], wv[i])
						}
					}
				}
			}
		}
	})
}

// TestAdamWGenericMath checks the reference against the float64 formula:
// the float32 roundings may only cost a few ulps of the update.
func TestAdamWGenericMath(t *testing.T) {
	r := rand.New(rand.NewPCG(33, 34))
	const n = 1000
	for _, wd := range []float64{0, 0.01} {
		s := adamwScalarsAt(3, wd)
		p, g, m, v := adamwInputs(r, n)
		p0, m0, v0 := append([]float32(nil), p...), append([]float32(nil), m...), append([]float32(nil), v...)
		adamwGeneric(p, g, m, v, s)
		for i := range n {
			pd := float64(p0[i])
			if s.DoDecay {
				pd *= float64(s.Decay)
			}
			// Each of m and v is two rounded products and a rounded sum:
			// error ≤ 2 ε₃₂ of the sum of the terms' magnitudes (ε₃₂ = 2⁻²⁴).
			const eps32 = 1.0 / (1 << 24)
			ma, mb := float64(m0[i])*float64(s.B1), float64(s.C1)*float64(g[i])
			va, vb := float64(v0[i])*float64(s.B2), float64(s.C2)*float64(g[i])*float64(g[i])
			if d := math.Abs(float64(m[i]) - (ma + mb)); d > 2*eps32*(math.Abs(ma)+math.Abs(mb)) {
				t.Fatalf("wd=%g i=%d: m %g, want %g", wd, i, m[i], ma+mb)
			}
			if d := math.Abs(float64(v[i]) - (va + vb)); d > 3*eps32*(va+vb) {
				t.Fatalf("wd=%g i=%d: v %g, want %g", wd, i, v[i], va+vb)
			}
			// Given the new m and v, the update is 5 roundings from exact
			// and p one more: ≤ 6 ε₃₂ of |update| plus ε₃₂ of |p|.
			upd := float64(s.NegStep) * float64(m[i]) / (math.Sqrt(float64(v[i]))/float64(s.BC2Sqrt) + float64(s.Eps))
			if d := math.Abs(float64(p[i]) - (pd + upd)); d > 6*eps32*math.Abs(upd)+2*eps32*math.Abs(pd) {
				t.Fatalf("wd=%g i=%d: p %g, want %g", wd, i, p[i], pd+upd)
			}
		}
	}
	// Hand-computed: t=1 makes m̂ = g and v̂ = g², so with p = 0, no decay and
	// eps ≈ 0 the step is −lr·g/|g| = −lr·sign(g).
	s := adamwScalarsAt(1, 0)
	p, m, v := []float32{0, 0}, []float32{0, 0}, []float32{0, 0}
	adamwGeneric(p, []float32{0.5, -4}, m, v, s)
	if math.Abs(float64(p[0])+2e-5) > 1e-11 || math.Abs(float64(p[1])-2e-5) > 1e-11 {
		t.Errorf("first step from zero moments: p = %v, want [-2e-5 2e-5]", p)
	}
}

func TestAdamWShortSlices(t *testing.T) {
	defer func() {
		if r := recover(); r != errShortSlice {
			t.Errorf("recovered %v, want %q", r, errShortSlice)
		}
	}()
	AdamW(make([]float32, 3), make([]float32, 4), make([]float32, 4), make([]float32, 4), AdamWScalars{})
}

// BenchmarkAdamW updates one 768×3072 FFN weight (2.36M floats) per
// iteration on each impl, single goroutine (optim splits the parameters into
// blocks over its threads):
//
//	go test ./kernels -run '^$' -bench AdamW -benchtime 20x
func BenchmarkAdamW(b *testing.B) {
	r := rand.New(rand.NewPCG(35, 36))
	const n = 768 * 3072
	p, g, m, v := adamwInputs(r, n)
	s := adamwScalarsAt(100, 0.01)
	for _, im := range impls {
		b.Run(im.name, func(b *testing.B) {
			restore, _ := Use(im.name)
			defer restore()
			for b.Loop() {
				AdamW(p, g, m, v, s)
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Melem/s")
		})
	}
}
