package kernels

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

func TestSgemmPacked(t *testing.T) {
	blockedPath(t)
	forEachImpl(t, func(t *testing.T, im *impl) {
		r := rand.New(rand.NewPCG(11, 12))
		for i, s := range [][3]int{{1, 1, 1}, {5, im.nr + 1, 3}, {im.mc + 3, 2*im.nr - 1, im.kc + 7}, {300, 200, 70}} {
			m, n, k := s[0], s[1], s[2]
			for ti := range 4 {
				tA, tB := ti&1 != 0, ti&2 != 0
				ab := alphaBetas[(i+ti)%len(alphaBetas)]
				var a, b []float32
				lda, ldb := k+1, n+2
				if tA {
					lda = m + 1
					a = randSlice(r, k*lda, 1)
				} else {
					a = randSlice(r, m*lda, 1)
				}
				if tB {
					ldb = k + 2
					b = randSlice(r, n*ldb, 1)
				} else {
					b = randSlice(r, k*ldb, 1)
				}
				pb := PackB(tB, k, n, b, ldb)
				if pb.K() != k || pb.N() != n {
					t.Fatalf("PackedB dims %d,%d want %d,%d", pb.K(), pb.N(), k, n)
				}
				ldc := n + 3
				c := randSlice(r, m*ldc, 1)
				want := append([]float32(nil), c...)
				sgemmGeneric(tA, tB, m, n, k, ab[0], a, lda, b, ldb, ab[1], want, ldc)
				if ab[1] == 0 {
					for j := range c {
						c[j] = float32(math.NaN())
					}
				}
				SgemmPacked(tA, m, ab[0], a, lda, pb, ab[1], c, ldc)
				for x := 0; x < m; x++ {
					for y := 0; y < n; y++ {
						g, w := c[x*ldc+y], want[x*ldc+y]
						if d := math.Abs(float64(g - w)); !(d <= 1e-5*float64(k)) {
							t.Fatalf("%v tA=%v tB=%v: C[%d,%d]=%g want %g", s, tA, tB, x, y, g, w)
						}
					}
				}
			}
		}
	})
}

// TestSgemmPackedOtherImpl: a PackedB made under one impl still gives the
// right answer after Use switches to another (it falls back to Sgemm).
func TestSgemmPackedOtherImpl(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	m, n, k := 20, 30, 40
	a, b := randSlice(r, m*k, 1), randSlice(r, n*k, 1)
	pb := PackB(true, k, n, b, k)
	want := make([]float32, m*n)
	sgemmGeneric(false, true, m, n, k, 1, a, k, b, k, 0, want, n)
	for _, name := range Available() {
		restore, _ := Use(name)
		c := make([]float32, m*n)
		SgemmPacked(false, m, 1, a, k, pb, 0, c, n)
		restore()
		for i := range c {
			if math.Abs(float64(c[i]-want[i])) > 1e-4 {
				t.Fatalf("%s: c[%d]=%g want %g", name, i, c[i], want[i])
			}
		}
	}
}

// TestSgemmBatch runs attention-shaped per-head products on strided views of
// [batch·seq, hidden] matrices and compares with one Sgemm per head.
func TestSgemmBatch(t *testing.T) {
	blockedPath(t)
	forEachImpl(t, func(t *testing.T, im *impl) {
		r := rand.New(rand.NewPCG(15, 16))
		for _, d := range [][3]int{{2, 7, 3}, {3, 33, 2}, {2, 130, 4}, {1, 400, 1}} { // batch, seq, heads
			batch, seq, heads := d[0], d[1], d[2]
			hd := 16 + heads
			hidden := heads * hd
			q := randSlice(r, batch*seq*hidden, 1)
			kk := randSlice(r, batch*seq*hidden, 1)
			var aOff, bOff, cOff []int
			for bi := 0; bi < batch; bi++ {
				for h := 0; h < heads; h++ {
					aOff = append(aOff, bi*seq*hidden+h*hd)
					bOff = append(bOff, bi*seq*hidden+h*hd)
					cOff = append(cOff, (bi*heads+h)*seq*seq)
				}
			}
			for _, beta := range []float32{0, 1} {
				got := randSlice(r, batch*heads*seq*seq, 1)
				want := append([]float32(nil), got...)
				if beta == 0 {
					for i := range got {
						got[i] = float32(math.NaN())
					}
				}
				SgemmBatch(false, true, seq, seq, hd, 0.25, q, hidden, aOff, kk, hidden, bOff, beta, got, seq, cOff)
				for i := range aOff {
					sgemmGeneric(false, true, seq, seq, hd, 0.25, q[aOff[i]:], hidden, kk[bOff[i]:], hidden, beta, want[cOff[i]:], seq)
				}
				for i := range got {
					if math.Abs(float64(got[i]-want[i])) > 1e-5*float64(hd) {
						t.Fatalf("%v beta=%v: c[%d]=%g want %g", d, beta, i, got[i], want[i])
					}
				}
			}
		}
	})
}

func TestSgemmBatchMismatch(t *testing.T) {
	defer func() {
		if recover() != errLenMismatch {
			t.Fatal("want panic on offset-length mismatch")
		}
	}()
	SgemmBatch(false, false, 1, 1, 1, 1, []float32{1}, 1, []int{0}, []float32{1}, 1, nil, 0, []float32{0}, 1, []int{0})
}

// TestGemmNoAllocs: a steady-state GEMM allocates nothing (buffers are reused).
func TestGemmNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	r := rand.New(rand.NewPCG(17, 18))
	m, n, k := 128, 128, 128 // m·n·k = parallelMin: the threaded path
	a, b, c := randSlice(r, m*k, 1), randSlice(r, n*k, 1), make([]float32, m*n)
	pb := PackB(true, k, n, b, k)
	Sgemm(false, true, m, n, k, 1, a, k, b, k, 0, c, n) // warm the pools and workers
	if n := testing.AllocsPerRun(5, func() { Sgemm(false, true, m, n, k, 1, a, k, b, k, 0, c, n) }); n > 0 {
		t.Errorf("Sgemm: %v allocs per call", n)
	}
	if n := testing.AllocsPerRun(5, func() { SgemmPacked(false, m, 1, a, k, pb, 0, c, n) }); n > 0 {
		t.Errorf("SgemmPacked: %v allocs per call", n)
	}
}

// TestGemmConcurrent: several goroutines share the worker pool at once (a
// server running requests side by side) and all get correct results.
func TestGemmConcurrent(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 20))
	m, n, k := 150, 140, 130
	a, b := randSlice(r, m*k, 1), randSlice(r, n*k, 1)
	want := make([]float32, m*n)
	sgemmGeneric(false, true, m, n, k, 1, a, k, b, k, 0, want, n)
	errs := make(chan string, 8)
	for g := 0; g < 8; g++ {
		go func() {
			c := make([]float32, m*n)
			for range 5 {
				Sgemm(false, true, m, n, k, 1, a, k, b, k, 0, c, n)
				for i := range c {
					if math.Abs(float64(c[i]-want[i])) > 1e-4 {
						errs <- "wrong result"
						return
					}
				}
			}
			errs <- ""
		}()
	}
	for range 8 {
		if e := <-errs; e != "" {
			t.Fatal(e)
		}
	}
}

// TestGemmSmallMSplit checks the small-M path: with more threads than M
// blocks, A is packed once and shared and N is cut into a multiple of the
// thread count of chunks; results match the reference for Sgemm and
// SgemmPacked on every impl.
func TestGemmSmallMSplit(t *testing.T) {
	prevProcs := runtime.GOMAXPROCS(4)
	prevMax := SetMaxThreads(3)
	defer func() { runtime.GOMAXPROCS(prevProcs); SetMaxThreads(prevMax) }()
	forEachImpl(t, func(t *testing.T, im *impl) {
		r := rand.New(rand.NewPCG(7, 7))
		for _, s := range [][3]int{{128, 769, 768}, {im.mr + 1, 3*im.nc + 5, 1000}, {1, 4096, 700}} {
			m, n, k := s[0], s[1], s[2]
			var g gemmOp
			g.init(im, false, true, m, n, k, 1, nil, 0, nil, 0, 0, nil, 0)
			g.split(3)
			if !g.shareA || (g.mBlocks*g.nChunks)%3 != 0 || g.nChunks < 3 {
				t.Fatalf("M %d N %d: split shareA %v, %d M blocks × %d N chunks; want a shared A and a multiple of 3 tasks",
					m, n, g.shareA, g.mBlocks, g.nChunks)
			}
			checkGemmCase(t, r, gemmCase{tB: true, m: m, n: n, k: k, alpha: 1, padA: 1, padB: 2, padC: 3})
			checkGemmCase(t, r, gemmCase{tA: true, m: m, n: n, k: k, alpha: -0.5, beta: 0.75})
			a, w := randSlice(r, m*k, 1), randSlice(r, n*k, 1)
			want, got := make([]float32, m*n), make([]float32, m*n)
			Sgemm(false, true, m, n, k, 1, a, k, w, k, 0, want, n)
			SgemmPacked(false, m, 1, a, k, PackB(true, k, n, w, k), 0, got, n)
			if !sameBits(want, got) {
				t.Fatalf("M %d N %d K %d: SgemmPacked differs from Sgemm", m, n, k)
			}
		}
	})
}

// TestPackedUnpack: Unpack returns the weight PackWeights was given, bit
// for bit, for every impl and odd shapes.
func TestPackedUnpack(t *testing.T) {
	for _, name := range Available() {
		restore, err := Use(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, sh := range [][2]int{{1, 1}, {3, 5}, {17, 33}, {64, 300}} {
			n, k := sh[0], sh[1]
			w := make([]float32, n*k)
			for i := range w {
				w[i] = float32(i%97) - 48.5
			}
			got := make([]float32, n*k)
			PackWeights(n, k, w).Unpack(got)
			for i := range w {
				if got[i] != w[i] {
					t.Fatalf("%s %dx%d: element %d = %v, want %v", name, n, k, i, got[i], w[i])
				}
			}
		}
		restore()
	}
}
