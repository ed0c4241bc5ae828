package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// naiveU8S8 is the int32 reference: c[i][j] = Σ_p a[i][p]·w[j][p].
func naiveU8S8(m, n, k int, a []uint8, lda int, w []int8) []int32 {
	c := make([]int32, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s int32
			for p := 0; p < k; p++ {
				s += int32(a[i*lda+p]) * int32(w[j*k+p])
			}
			c[i*n+j] = s
		}
	}
	return c
}

// actMax is the largest activation an impl is exact for (see Int8ActMax).
func actMax(im *int8Impl) int {
	if im.name == "avx2" || im.name == "neon-sdot" {
		return Int8ActMax
	}
	return 255
}

// int8Fill draws a (u8 ≤ amax) and w (s8) in one of three modes: uniform,
// extreme (only 0/amax and -128/127, the saturation worst cases) or
// all-max (every product amax·(-128), the largest magnitude sum).
func int8Fill(r *rand.Rand, mode int, a []uint8, amax int, w []int8) {
	for i := range a {
		switch mode {
		case 0:
			a[i] = uint8(r.IntN(amax + 1))
		case 1:
			a[i] = uint8(amax * r.IntN(2))
		default:
			a[i] = uint8(amax)
		}
	}
	for i := range w {
		switch mode {
		case 0:
			w[i] = int8(r.IntN(256) - 128)
		case 1:
			w[i] = [2]int8{-128, 127}[r.IntN(2)]
		default:
			w[i] = -128
		}
	}
}

const int32Guard = int32(0x5a5a5a5a)

func TestGemmU8S8MatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	dims := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 13, 15, 16, 17, 31, 32, 33, 95, 96, 97, 193}
	type shape struct{ m, n, k int }
	var shapes []shape
	for _, d := range dims {
		shapes = append(shapes, shape{d, 17, 9}, shape{7, d, 13}, shape{5, 19, d})
	}
	for range 60 {
		shapes = append(shapes, shape{r.IntN(130), r.IntN(130), r.IntN(300)})
	}
	shapes = append(shapes, shape{200, 70, 768}, shape{13, 33, 3072})
	for _, im := range int8Impls() {
		t.Run(im.name, func(t *testing.T) {
			for si, s := range shapes {
				mode := si % 3
				lda, ldc := max(1, s.k+r.IntN(3)), max(1, s.n+r.IntN(3))
				a := make([]uint8, max(0, (s.m-1)*lda+s.k))
				w := make([]int8, s.n*s.k)
				int8Fill(r, mode, a, actMax(im), w)
				want := naiveU8S8(s.m, s.n, s.k, a, lda, w)
				// c sits between guards, its ldc gaps hold guards too.
				clen := max(0, (s.m-1)*ldc+s.n)
				all := make([]int32, clen+2*guardLen)
				for i := range all {
					all[i] = int32Guard
				}
				c := all[guardLen : guardLen+clen]
				a0 := append([]uint8(nil), a...)
				gemmU8S8With(im, s.m, a, lda, PackInt8(s.n, s.k, w), c, ldc)
				for i := 0; i < s.m; i++ {
					for j := 0; j < ldc && i*ldc+j < clen; j++ {
						got := c[i*ldc+j]
						if j >= s.n {
							if got != int32Guard {
								t.Fatalf("m=%d n=%d k=%d: gap [%d,%d] overwritten", s.m, s.n, s.k, i, j)
							}
							continue
						}
						if got != want[i*s.n+j] {
							t.Fatalf("m=%d n=%d k=%d mode %d: C[%d,%d] = %d, want %d", s.m, s.n, s.k, mode, i, j, got, want[i*s.n+j])
						}
					}
				}
				for i := 0; i < guardLen; i++ {
					if all[i] != int32Guard || all[guardLen+clen+i] != int32Guard {
						t.Fatalf("m=%d n=%d k=%d: guard overwritten", s.m, s.n, s.k)
					}
				}
				for i := range a {
					if a[i] != a0[i] {
						t.Fatalf("A modified")
					}
				}
			}
		})
	}
}

// The extreme case by hand: k = 768 products 127·(−128) = −12 484 608.
func TestGemmU8S8Extreme(t *testing.T) {
	const k = 768
	a := make([]uint8, k)
	w := make([]int8, 2*k)
	for p := range a {
		a[p] = 127
		w[p] = -128
		w[k+p] = 127
	}
	for _, im := range int8Impls() {
		c := make([]int32, 2)
		gemmU8S8With(im, 1, a, k, PackInt8(2, k, w), c, 2)
		if c[0] != -127*128*k || c[1] != 127*127*k {
			t.Errorf("%s: got %v, want [%d %d]", im.name, c, -127*128*k, 127*127*k)
		}
	}
	// The public entry point (active impl) gives the same.
	c := make([]int32, 2)
	GemmU8S8(1, a, k, PackInt8(2, k, w), c, 2)
	if c[0] != -127*128*k || c[1] != 127*127*k {
		t.Errorf("GemmU8S8 (%s): got %v, want [%d %d]", Int8Impl(), c, -127*128*k, 127*127*k)
	}
}

func TestPackInt8RoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, s := range [][2]int{{1, 1}, {17, 5}, {33, 130}, {16, 4}} {
		n, k := s[0], s[1]
		w := make([]int8, n*k)
		int8Fill(r, 0, nil, 0, w)
		p := PackInt8(n, k, w)
		back := make([]int8, n*k)
		p.Unpack(back)
		for i := range w {
			if back[i] != w[i] {
				t.Fatalf("n=%d k=%d: unpack[%d] = %d, want %d", n, k, i, back[i], w[i])
			}
		}
		for j := 0; j < n; j++ {
			var sum int32
			for q := 0; q < k; q++ {
				sum += int32(w[j*k+q])
			}
			if p.ColSums()[j] != sum {
				t.Fatalf("colsum[%d] = %d, want %d", j, p.ColSums()[j], sum)
			}
		}
	}
}

func TestQuantizeRowsU8(t *testing.T) {
	// Hand case: row [-1, 0, 0.5, 2.81]: lo=-1, hi=2.81, scale=3.81/127=0.03,
	// zero=round(1/0.03)=33; 0.5/0.03=16.67 -> 17+33=50; 2.81/0.03 = 93.67 -> 94+33=127.
	x := []float32{-1, 0, 0.5, 2.81, 0, 0, 0, 0, 3, 1, 2, 3}
	dst := make([]uint8, 12)
	sc := make([]float32, 3)
	z := make([]int32, 3)
	QuantizeRowsU8(dst, 4, sc, z, x, 4, 3, 4)
	if math.Abs(float64(sc[0])-0.03) > 1e-7 || z[0] != 33 {
		t.Fatalf("row 0: scale %v zero %d, want 0.03, 33", sc[0], z[0])
	}
	if got := dst[:4]; got[0] != 0 || got[1] != 33 || got[2] != 50 || got[3] != 127 {
		t.Fatalf("row 0 = %v, want [0 33 50 127]", got)
	}
	if sc[1] != 1 || z[1] != 0 || dst[4] != 0 || dst[7] != 0 {
		t.Fatalf("zero row: scale %v zero %d values %v", sc[1], z[1], dst[4:8])
	}
	// All positive: lo is 0, so zero = 0 and the max maps to 127.
	if z[2] != 0 || dst[11] != 127 || dst[8] != 127 || dst[9] != 42 {
		t.Fatalf("positive row: zero %d values %v", z[2], dst[8:12])
	}
	// Random rows: |x − scale·(q − zero)| ≤ scale/2 (+ float rounding).
	r := rand.New(rand.NewPCG(3, 4))
	m, k := 37, 301
	xs := randSlice(r, m*k, 5)
	xs[5] = 80 // an outlier
	q := make([]uint8, m*k)
	sc, z = make([]float32, m), make([]int32, m)
	QuantizeRowsU8(q, k, sc, z, xs, k, m, k)
	for i := 0; i < m; i++ {
		for p := 0; p < k; p++ {
			back := sc[i] * float32(int32(q[i*k+p])-z[i])
			if d := math.Abs(float64(back - xs[i*k+p])); d > float64(sc[i])*0.5001 {
				t.Fatalf("x[%d,%d] = %v came back as %v (scale %v)", i, p, xs[i*k+p], back, sc[i])
			}
			if q[i*k+p] > Int8ActMax {
				t.Fatalf("q > %d", Int8ActMax)
			}
		}
	}
}

// LinearInt8 must equal the dequantised formula evaluated from the same
// quantized values (exact integer part, float epilogue), for every impl.
func TestLinearInt8(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, s := range [][3]int{{1, 1, 1}, {3, 17, 31}, {13, 40, 64}, {100, 50, 200}, {130, 768, 64}} {
		m, n, k := s[0], s[1], s[2]
		x := randSlice(r, m*k, 2)
		w := make([]int8, n*k)
		int8Fill(r, 0, nil, 0, w)
		ws := randSlice(r, n, 0.01)
		bias := randSlice(r, n, 1)
		pw := PackInt8(n, k, w)
		q := make([]uint8, m*k)
		sc, z := make([]float32, m), make([]int32, m)
		QuantizeRowsU8(q, k, sc, z, x, k, m, k)
		acc := naiveU8S8(m, n, k, q, k, w)
		forEachImpl(t, func(t *testing.T, _ *impl) {
			y := make([]float32, m*(n+1))
			LinearInt8(m, x, k, pw, ws, bias, y, n+1)
			for i := 0; i < m; i++ {
				for j := 0; j < n; j++ {
					want := float32(float32(acc[i*n+j]-z[i]*pw.ColSums()[j])*(sc[i]*ws[j])) + bias[j]
					if y[i*(n+1)+j] != want {
						t.Fatalf("%s m=%d n=%d k=%d: y[%d,%d] = %v, want %v", Int8Impl(), m, n, k, i, j, y[i*(n+1)+j], want)
					}
					// and it approximates the float product
					// within the rounding of x: |Δ| ≤ scale/2 · |wScale| · Σ|W|.
					var f, absW float64
					for p := 0; p < k; p++ {
						f += float64(x[i*k+p]) * float64(ws[j]) * float64(w[j*k+p])
						absW += math.Abs(float64(w[j*k+p]))
					}
					f += float64(bias[j])
					bound := 0.5 * float64(sc[i]) * math.Abs(float64(ws[j])) * absW
					if math.Abs(f-float64(want)) > bound*1.001+1e-5 {
						t.Fatalf("y[%d,%d] = %v far from float %v (bound %v)", i, j, want, f, bound)
					}
				}
				if y[i*(n+1)+n] != 0 {
					t.Fatalf("ldy gap written")
				}
			}
		})
	}
}

func TestInt8DispatchFollowsUse(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *impl) {
		want := "generic"
		if im.int8 != nil {
			want = im.int8.name
		}
		if im.name == "avx2" {
			want = "avx2" // the AVX2 int8 kernel runs wherever the avx2 impl does
		}
		if got := Int8Impl(); got != want {
			t.Errorf("impl %s: int8 kernel %s, want %s", im.name, got, want)
		}
	})
}

// The asm quantizer (bulk loops) must give the generic loop's bytes exactly.
func TestQuantizeRowU8Impls(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	for n := 0; n < 300; n += 1 + n/10 {
		for _, sc := range []float32{1e-3, 1, 40} {
			x := randSlice(r, n, sc)
			if n > 3 {
				x[r.IntN(n)] = 0.5 * sc * float32(r.IntN(5)) // exact halves hit the rounding edge
			}
			want := make([]uint8, n)
			ws, wz := quantizeRowU8(int8Generic, want, x)
			for _, im := range int8Impls() {
				got := make([]uint8, n)
				s, z := quantizeRowU8(im, got, x)
				if s != ws || z != wz {
					t.Fatalf("%s n=%d: scale/zero %v/%d, generic %v/%d", im.name, n, s, z, ws, wz)
				}
				for i := range got {
					if got[i] != want[i] {
						t.Fatalf("%s n=%d: q[%d] = %d, generic %d (x=%v)", im.name, n, i, got[i], want[i], x[i])
					}
				}
			}
		}
	}
}
