package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestLayerNorm(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *impl) {
		r := rand.New(rand.NewPCG(31, 32))
		for _, cols := range vecSizes(r) {
			if cols == 0 {
				continue
			}
			rows := 1 + r.IntN(3)
			x := randSlice(r, rows*cols, 3)
			for i := range x {
				x[i] += 5 // a large mean tests the two-pass variance
			}
			g, b := randSlice(r, cols, 1), randSlice(r, cols, 1)
			dst, all := guarded(rows * cols)
			mean, rstd := make([]float32, rows), make([]float32, rows)
			LayerNorm(dst, mean, rstd, x, g, b, rows, cols, 1e-12)
			checkGuards(t, all, rows*cols)
			for i := 0; i < rows; i++ {
				xr := x[i*cols : (i+1)*cols]
				var m, v float64
				for _, e := range xr {
					m += float64(e)
				}
				m /= float64(cols)
				for _, e := range xr {
					v += (float64(e) - m) * (float64(e) - m)
				}
				rs := 1 / math.Sqrt(v/float64(cols)+1e-12)
				if math.Abs(float64(mean[i])-m) > 1e-5*math.Abs(m) || math.Abs(float64(rstd[i])-rs) > 2e-5*rs {
					t.Fatalf("cols=%d row %d: mean %g rstd %g want %g %g", cols, i, mean[i], rstd[i], m, rs)
				}
				for j, e := range xr {
					xh := (float64(e) - m) * rs
					w := xh*float64(g[j]) + float64(b[j])
					if d := math.Abs(float64(dst[i*cols+j]) - w); d > 2e-5*(math.Abs(xh*float64(g[j]))+math.Abs(float64(b[j]))+math.Abs(float64(e))*rs*math.Abs(float64(g[j]))) {
						t.Fatalf("cols=%d [%d,%d]: %g want %g", cols, i, j, dst[i*cols+j], w)
					}
				}
			}
			// Inference: nil mean/rstd, in place.
			in := append([]float32(nil), x...)
			LayerNorm(in, nil, nil, in, g, b, rows, cols, 1e-12)
			if !sameBits(in, dst) {
				t.Fatalf("cols=%d: in-place result differs", cols)
			}
		}
	})
}

func TestLayerNormBackward(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *impl) {
		r := rand.New(rand.NewPCG(33, 34))
		for _, cols := range vecSizes(r) {
			if cols == 0 {
				continue
			}
			rows := 1 + r.IntN(3)
			x := randSlice(r, rows*cols, 2)
			g := randSlice(r, cols, 1)
			dy := randSlice(r, rows*cols, 1)
			mean, rstd := make([]float32, rows), make([]float32, rows)
			LayerNorm(make([]float32, rows*cols), mean, rstd, x, g, make([]float32, cols), rows, cols, 1e-5)
			dx, allx := guarded(rows * cols)
			dg, allg := guarded(cols)
			db, allb := guarded(cols)
			dx0, dg0, db0 := randSlice(r, rows*cols, 1), randSlice(r, cols, 1), randSlice(r, cols, 1)
			copy(dx, dx0)
			copy(dg, dg0)
			copy(db, db0)
			LayerNormBackward(dx, dg, db, dy, x, mean, rstd, g, rows, cols)
			checkGuards(t, allx, rows*cols)
			checkGuards(t, allg, cols)
			checkGuards(t, allb, cols)
			wg, wb := make([]float64, cols), make([]float64, cols)
			for j := range wg {
				wg[j], wb[j] = float64(dg0[j]), float64(db0[j])
			}
			for i := 0; i < rows; i++ {
				m, rs := float64(mean[i]), float64(rstd[i])
				var a, b, bound float64
				for j := 0; j < cols; j++ {
					xh := (float64(x[i*cols+j]) - m) * rs
					dn := float64(dy[i*cols+j]) * float64(g[j])
					a += dn
					b += dn * xh
					bound += math.Abs(dn) * (1 + math.Abs(xh))
				}
				a /= float64(cols)
				b /= float64(cols)
				bound /= float64(cols)
				for j := 0; j < cols; j++ {
					k := i*cols + j
					xh := (float64(x[k]) - m) * rs
					dn := float64(dy[k]) * float64(g[j])
					w := float64(dx0[k]) + rs*(dn-a-xh*b)
					tol := 1e-5 * (math.Abs(float64(dx0[k])) + rs*(math.Abs(dn)+bound*(1+math.Abs(xh))))
					if math.Abs(float64(dx[k])-w) > tol {
						t.Fatalf("cols=%d dx[%d,%d]: %g want %g", cols, i, j, dx[k], w)
					}
					wg[j] += float64(dy[k]) * xh
					wb[j] += float64(dy[k])
				}
			}
			for j := 0; j < cols; j++ {
				if math.Abs(float64(dg[j])-wg[j]) > 1e-5*(math.Abs(wg[j])+float64(rows)) ||
					math.Abs(float64(db[j])-wb[j]) > 1e-5*(math.Abs(wb[j])+float64(rows)) {
					t.Fatalf("cols=%d col %d: dgamma %g dbeta %g want %g %g", cols, j, dg[j], db[j], wg[j], wb[j])
				}
			}
			// dgamma/dbeta may be nil: dx must be the same.
			dx2 := append([]float32(nil), dx0...)
			LayerNormBackward(dx2, nil, nil, dy, x, mean, rstd, g, rows, cols)
			for k := range dx2 {
				if math.Abs(float64(dx2[k]-dx[k])) > 1e-5*(1+math.Abs(float64(dx[k]))) {
					t.Fatalf("cols=%d: dx with nil dgamma differs at %d: %g vs %g", cols, k, dx2[k], dx[k])
				}
			}
		}
	})
}

func refGELU(x float64) float64 { return 0.5 * x * (1 + math.Erf(x/math.Sqrt2)) }

func refGELUGrad(x float64) float64 {
	return 0.5*(1+math.Erf(x/math.Sqrt2)) + x*math.Exp(-0.5*x*x)/math.Sqrt(2*math.Pi)
}

// geluInputs: a dense grid over [-10, 10], random values, tails and specials.
func geluInputs(r *rand.Rand) []float32 {
	var xs []float32
	for i := -20000; i <= 20000; i++ {
		xs = append(xs, float32(i)*5e-4)
	}
	for range 5000 {
		xs = append(xs, (r.Float32()*2-1)*10)
	}
	return append(xs, 0, float32(math.Copysign(0, -1)), 1e-30, -1e-30, 30, -30, 88, -88)
}

// TestGELU: every impl within 2e-7 absolute plus one float32 ulp of the
// float64 exact-erf GELU (the ulp is the output's own rounding: |GELU(x)| ≈ |x|
// for x > 3, where an ulp already exceeds 2e-7).
func TestGELU(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *impl) {
		r := rand.New(rand.NewPCG(35, 36))
		xs := geluInputs(r)
		for _, off := range []int{0, 1, 3} {
			x := xs[off:]
			dst, all := guarded(len(x))
			GELU(dst, x)
			checkGuards(t, all, len(x))
			for i, v := range x {
				w := refGELU(float64(v))
				if d := math.Abs(float64(dst[i]) - w); d > 2e-7+ulp32(w) {
					t.Fatalf("GELU(%g) = %.9g, want %.9g (err %g)", v, dst[i], w, d)
				}
			}
		}
		dx, all := guarded(len(xs))
		dy := randSlice(r, len(xs), 1)
		dx0 := randSlice(r, len(xs), 1)
		copy(dx, dx0)
		GELUBackward(dx, xs, dy)
		checkGuards(t, all, len(xs))
		for i, v := range xs {
			w := float64(dx0[i]) + float64(dy[i])*refGELUGrad(float64(v))
			tol := 3e-7*math.Abs(float64(dy[i])) + ulp32(w) + ulp32(float64(dx0[i]))
			if d := math.Abs(float64(dx[i]) - w); d > tol {
				t.Fatalf("GELUBackward x=%g dy=%g: %.9g want %.9g (err %g)", v, dy[i], dx[i], w, d)
			}
		}
		// Sizes around the lane widths, and in place.
		for _, n := range vecSizes(r) {
			x := randSlice(r, n, 4)
			want := make([]float32, n)
			GELU(want, x)
			GELU(x, x)
			if !sameBits(x, want) {
				t.Fatalf("n=%d: in-place GELU differs", n)
			}
		}
	})
}
