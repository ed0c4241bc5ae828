package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"unsafe"
)

func requiredImpls() []string {
	v := os.Getenv("MEDBERT_REQUIRE")
	if v == "" {
		return nil
	}
	return strings.Split(v, ",")
}

type gemmCase struct {
	tA, tB           bool
	m, n, k          int
	alpha, beta      float32
	padA, padB, padC int // extra leading-dimension floats
	off              int // start offset (floats) of A, B and C in their allocations
}

// refGemm returns the float64 reference of C and, per element, the bound
// Σ_p |alpha·a·b| + |beta·c| that scales the allowed rounding error.
func refGemm(gc gemmCase, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) (want, bound []float64) {
	want = make([]float64, gc.m*gc.n)
	bound = make([]float64, gc.m*gc.n)
	for i := 0; i < gc.m; i++ {
		for j := 0; j < gc.n; j++ {
			var s, sb float64
			for p := 0; p < gc.k; p++ {
				var av, bv float64
				if gc.tA {
					av = float64(a[p*lda+i])
				} else {
					av = float64(a[i*lda+p])
				}
				if gc.tB {
					bv = float64(b[j*ldb+p])
				} else {
					bv = float64(b[p*ldb+j])
				}
				s += av * bv
				sb += math.Abs(av * bv)
			}
			s *= float64(gc.alpha)
			sb *= math.Abs(float64(gc.alpha))
			if gc.beta != 0 {
				cv := float64(gc.beta) * float64(c[i*ldc+j])
				s += cv
				sb += math.Abs(cv)
			}
			want[i*gc.n+j], bound[i*gc.n+j] = s, sb
		}
	}
	return want, bound
}

// checkGemmCase runs one Sgemm against the float64 reference, with NaN
// guards around C, NaN in C when beta == 0, and inputs checked unchanged.
func checkGemmCase(t *testing.T, r *rand.Rand, gc gemmCase) {
	t.Helper()
	ar, ac := gc.m, gc.k
	if gc.tA {
		ar, ac = gc.k, gc.m
	}
	br, bc := gc.k, gc.n
	if gc.tB {
		br, bc = gc.n, gc.k
	}
	lda, ldb, ldc := max(1, ac)+gc.padA, max(1, bc)+gc.padB, max(1, gc.n)+gc.padC
	a := randSlice(r, max(0, (ar-1)*lda+ac)+gc.off, 1)[gc.off:]
	b := randSlice(r, max(0, (br-1)*ldb+bc)+gc.off, 1)[gc.off:]
	clen := max(0, (gc.m-1)*ldc+gc.n)
	c, all := guarded(clen + gc.off)
	c, all = c[gc.off:], all[gc.off:]
	for i := 0; i < gc.m; i++ {
		for j := 0; j < gc.n; j++ {
			if gc.beta == 0 {
				c[i*ldc+j] = float32(math.NaN())
			} else {
				c[i*ldc+j] = r.Float32()*2 - 1
			}
		}
	}
	a0, b0 := append([]float32(nil), a...), append([]float32(nil), b...)
	want, bound := refGemm(gc, a, lda, b, ldb, c, ldc)
	Sgemm(gc.tA, gc.tB, gc.m, gc.n, gc.k, gc.alpha, a, lda, b, ldb, gc.beta, c, ldc)
	checkGuards(t, all, clen)
	if !sameBits(a, a0) || !sameBits(b, b0) {
		t.Fatalf("%+v: inputs modified", gc)
	}
	for i := 0; i < gc.m; i++ {
		for j := 0; j < gc.n; j++ {
			got := float64(c[i*ldc+j])
			// 1e-5 relative to Σ|terms| (the bound for K ≤ 4096), plus
			// a few ulps for tiny sums.
			tol := 1e-5*bound[i*gc.n+j] + 1e-30
			if d := math.Abs(got - want[i*gc.n+j]); !(d <= tol) {
				t.Fatalf("%+v: C[%d,%d] = %g, want %g (|err| %g > %g)", gc, i, j, got, want[i*gc.n+j], d, tol)
			}
		}
		for j := gc.n; j < ldc && i < gc.m-1; j++ {
			if math.Float32bits(c[i*ldc+j]) != math.Float32bits(guardNaN) {
				t.Fatalf("%+v: C[%d,%d] beyond n written", gc, i, j)
			}
		}
	}
}

// blockedPath makes every size go through packing and micro-kernels.
func blockedPath(t *testing.T) {
	old := smallGemm
	smallGemm = 0
	t.Cleanup(func() { smallGemm = old })
}

var alphaBetas = [][2]float32{{1, 0}, {1, 1}, {-0.5, 0.75}, {2, 0}}

func TestGemmEdges(t *testing.T) {
	blockedPath(t)
	forEachImpl(t, func(t *testing.T, im *impl) {
		r := rand.New(rand.NewPCG(1, 2))
		ms := []int{1, 2, 3, im.mr - 1, im.mr, im.mr + 1, 2*im.mr + 1}
		ns := []int{1, 2, 3, im.nr - 1, im.nr, im.nr + 1, 2*im.nr + 1}
		ks := []int{1, 2, 5, 17}
		for _, m := range ms {
			for _, n := range ns {
				for _, k := range ks {
					for ti := range 4 {
						ab := alphaBetas[(m+n+k+ti)%len(alphaBetas)]
						checkGemmCase(t, r, gemmCase{tA: ti&1 != 0, tB: ti&2 != 0, m: m, n: n, k: k,
							alpha: ab[0], beta: ab[1], padA: (m + k) % 3, padB: n % 2, padC: k % 3})
					}
				}
			}
		}
	})
}

// TestGemmZeroSizes covers m, n or k == 0 and alpha == 0 (C = beta·C).
func TestGemmZeroSizes(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *impl) {
		r := rand.New(rand.NewPCG(3, 4))
		for _, d := range [][3]int{{0, 5, 3}, {5, 0, 3}, {4, 5, 0}, {0, 0, 0}} {
			for _, ab := range alphaBetas {
				checkGemmCase(t, r, gemmCase{m: d[0], n: d[1], k: d[2], alpha: ab[0], beta: ab[1]})
			}
		}
		checkGemmCase(t, r, gemmCase{m: 30, n: 40, k: 50, alpha: 0, beta: 0.5, tB: true})
		checkGemmCase(t, r, gemmCase{m: 30, n: 40, k: 50, alpha: 0, beta: 0})
	})
}

// TestGemmBlocks crosses the K, M and N block boundaries and the threaded path.
func TestGemmBlocks(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *impl) {
		r := rand.New(rand.NewPCG(5, 6))
		shapes := [][3]int{
			{im.mc + 1, 2*im.nr + 3, im.kc + 1},
			{2*im.mc + 5, im.nr - 1, 2*im.kc + 5},
			{im.mc - 1, 5*im.nr + 1, im.kc - 1},
			{200, 150, 100}, // above parallelMin: threaded
			{7, 300, 1100},  // few M blocks: threads split N
			{37, 29, 4096},  // the K bound
		}
		if testing.Short() { // emulated (qemu) runs: keep the block crossings
			shapes = shapes[:3]
		}
		for i, s := range shapes {
			for ti := range 4 {
				ab := alphaBetas[(i+ti)%len(alphaBetas)]
				checkGemmCase(t, r, gemmCase{tA: ti&1 != 0, tB: ti&2 != 0, m: s[0], n: s[1], k: s[2],
					alpha: ab[0], beta: ab[1], padA: i % 3, padB: 1, padC: 2})
			}
		}
	})
}

func TestGemmRandom(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *impl) {
		r := rand.New(rand.NewPCG(7, 8))
		n := 60
		if testing.Short() {
			n = 15
		}
		for range n {
			ab := alphaBetas[r.IntN(len(alphaBetas))]
			checkGemmCase(t, r, gemmCase{tA: r.IntN(2) == 1, tB: r.IntN(2) == 1,
				m: 1 + r.IntN(130), n: 1 + r.IntN(130), k: 1 + r.IntN(300),
				alpha: ab[0], beta: ab[1], padA: r.IntN(5), padB: r.IntN(5), padC: r.IntN(5)})
		}
	})
}

// TestGemmOffsets runs every impl with A, B and C starting at each of the
// 16 float offsets of a 64-byte line.
func TestGemmOffsets(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *impl) {
		r := rand.New(rand.NewPCG(9, 10))
		for off := range 16 {
			checkGemmCase(t, r, gemmCase{tA: off%2 == 1, tB: off%4 < 2, m: 2*im.mr + 1, n: 2*im.nr + 3, k: 19,
				alpha: 1, beta: float32(off % 2), padA: 1, padC: 1, off: off})
		}
	})
}

func FuzzGemm(f *testing.F) {
	f.Add(uint8(3), uint8(17), uint8(5), uint8(1), uint64(1))
	f.Add(uint8(13), uint8(49), uint8(200), uint8(2), uint64(2))
	f.Fuzz(func(t *testing.T, m, n, k, flags uint8, seed uint64) {
		r := rand.New(rand.NewPCG(seed, 9))
		ab := alphaBetas[int(flags>>2)%len(alphaBetas)]
		for _, name := range Available() {
			restore, _ := Use(name)
			checkGemmCase(t, r, gemmCase{tA: flags&1 != 0, tB: flags&2 != 0, m: int(m), n: int(n), k: int(k),
				alpha: ab[0], beta: ab[1], padA: int(flags>>4) % 3, padC: int(flags>>6) % 3})
			restore()
		}
	})
}

// microRef returns a Go micro-kernel for any mr×nr tile (the contract of
// impl.micro), so the blocking can be tested with every impl's parameters,
// including ones whose assembly this machine cannot run (avx512: 8×48).
func microRef(mr, nr int) func(k int, a, b, c *float32, ldc int, accum int) {
	return func(k int, a, b, c *float32, ldc int, accum int) {
		ap, bp := unsafe.Slice(a, k*mr), unsafe.Slice(b, k*nr)
		cs := unsafe.Slice(c, (mr-1)*ldc+nr)
		for i := 0; i < mr; i++ {
			for j := 0; j < nr; j++ {
				var s float32
				for p := 0; p < k; p++ {
					s += ap[p*mr+i] * bp[p*nr+j]
				}
				if accum == 0 {
					cs[i*ldc+j] = s
				} else {
					cs[i*ldc+j] += s
				}
			}
		}
	}
}

func TestGemmBlockingParams(t *testing.T) {
	blockedPath(t)
	// mr, nr, kc, mc, nc: blockings of the impls on the CPUs of
	// TestBlocking, and an odd one.
	for _, p := range [][5]int{{8, 48, 1024, 128, 96}, {8, 48, 680, 96, 96}, {6, 16, 256, 252, 256}, {6, 16, 384, 678, 672}, {8, 12, 680, 192, 192}, {3, 5, 8, 9, 10}} {
		im := *genericImpl
		im.name = fmt.Sprintf("ref%dx%d", p[0], p[1])
		im.mr, im.nr, im.kc, im.mc, im.nc = p[0], p[1], p[2], p[3], p[4]
		im.micro = microRef(im.mr, im.nr)
		// Use this machine's assembly packers where they apply (the 8×8
		// transposer serves mr = 8 A panels: avx512's blocking).
		if best := impls[len(impls)-1]; best != genericImpl {
			im.packBT8, im.scale = best.packBT8, best.scale
			if im.mr == 6 {
				im.packA6 = best.packA6
			}
		}
		prev := active.Swap(&im)
		r := rand.New(rand.NewPCG(uint64(p[0]), uint64(p[1])))
		shapes := [][3]int{{1, 1, 1}, {2*im.mr + 1, im.nr + 1, 13}, {im.mr + 1, im.nr - 1, im.kc + 1}, {2*im.mc + 3, 2*im.nr + 1, 5}, {100, 97, 2*im.kc + 3}}
		if testing.Short() {
			shapes = shapes[:4]
		}
		for i, s := range shapes {
			for ti := range 4 {
				ab := alphaBetas[(i+ti)%len(alphaBetas)]
				checkGemmCase(t, r, gemmCase{tA: ti&1 != 0, tB: ti&2 != 0, m: s[0], n: s[1], k: s[2],
					alpha: ab[0], beta: ab[1], padA: 1, padB: 2, padC: 3})
			}
		}
		active.Store(prev)
	}
}
