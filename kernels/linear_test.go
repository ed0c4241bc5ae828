package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// unfusedLinear is Linear's contract spelled with the separate kernels:
// Sgemm, then Add of bias to each row, GELU, Add of residual.
func unfusedLinear(m, n, k int, x, w, bias []float32, act Activation, residual, y []float32) {
	Sgemm(false, true, m, n, k, 1, x, max(k, 1), w, max(k, 1), 0, y, max(n, 1))
	if bias != nil {
		for i := 0; i < m; i++ {
			Add(y[i*n:(i+1)*n], y[i*n:(i+1)*n], bias)
		}
	}
	if act == GELUActivation {
		GELU(y[:m*n], y[:m*n])
	}
	if residual != nil {
		Add(y[:m*n], y[:m*n], residual)
	}
}

// checkLinear runs Linear on one shape and compares it bit for bit with
// unfusedLinear and, within float tolerance, with the linearGeneric
// reference (float32 sums in another order, so a relative 1e-5 of Σ|terms|
// plus the GELU's 1e-6). y starts as NaN and is flanked by NaN guards.
func checkLinear(t *testing.T, r *rand.Rand, m, n, k int, withBias, withRes bool, act Activation, packWeights bool) {
	t.Helper()
	x, w := randSlice(r, m*k, 1), randSlice(r, n*k, 1)
	var bias, res []float32
	if withBias {
		bias = randSlice(r, n, 1)
	}
	if withRes {
		res = randSlice(r, m*n, 1)
	}
	var pb *PackedB
	if packWeights {
		pb = PackWeights(n, k, append([]float32(nil), w...))
	} else {
		pb = PackB(true, k, n, w, max(k, 1))
	}
	y, all := guarded(m * n)
	for i := range y {
		y[i] = float32(math.NaN())
	}
	Linear(m, x, pb, bias, act, res, y)
	checkGuards(t, all, m*n)
	name := fmt.Sprintf("m %d n %d k %d bias %v res %v act %d packWeights %v", m, n, k, withBias, withRes, act, packWeights)
	want := make([]float32, m*n)
	unfusedLinear(m, n, k, x, w, bias, act, res, want)
	if !sameBits(y, want) {
		for i := range y {
			if math.Float32bits(y[i]) != math.Float32bits(want[i]) {
				t.Fatalf("%s: y[%d] = %g, unfused kernels give %g", name, i, y[i], want[i])
			}
		}
	}
	ref := make([]float32, m*n)
	linearGeneric(m, n, k, x, w, bias, act, res, ref)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var bound float64
			for p := 0; p < k; p++ {
				bound += math.Abs(float64(x[i*k+p]) * float64(w[j*k+p]))
			}
			if bias != nil {
				bound += math.Abs(float64(bias[j]))
			}
			tol := 2e-5*bound + 1e-6 + 1e-6*math.Abs(float64(ref[i*n+j]))
			if d := math.Abs(float64(y[i*n+j]) - float64(ref[i*n+j])); !(d <= tol) {
				t.Fatalf("%s: y[%d,%d] = %g, reference %g (|err| %g > %g)", name, i, j, y[i*n+j], ref[i*n+j], d, tol)
			}
		}
	}
}

func TestLinear(t *testing.T) {
	blockedPath(t) // Sgemm in the unfused check takes the blocked path too
	forEachImpl(t, func(t *testing.T, im *impl) {
		r := rand.New(rand.NewPCG(21, 22))
		ms := []int{0, 1, 2, im.mr - 1, im.mr + 1, 37}
		ns := []int{0, 1, im.nr - 1, im.nr + 1, 2*im.nr + 3, 70, 2*im.nc + im.nr + 1} // the last: 3 epilogue blocks
		ks := []int{0, 1, 7, 64, im.kc + 5}
		if testing.Short() {
			ks = ks[:4]
		}
		c := 0
		for _, m := range ms {
			for _, n := range ns {
				for _, k := range ks {
					c++
					checkLinear(t, r, m, n, k, c%2 == 0, c%3 != 0, Activation(c%2), c%5 == 0)
				}
			}
		}
	})
}

// TestLinearParallel runs Linear on BERT-like shapes large enough to split
// over threads (shared A at M = 128, M blocks at M = 300).
func TestLinearParallel(t *testing.T) {
	if testing.Short() {
		t.Skip("large shapes")
	}
	prevProcs := runtime.GOMAXPROCS(4)
	prevMax := SetMaxThreads(3)
	defer func() { runtime.GOMAXPROCS(prevProcs); SetMaxThreads(prevMax) }()
	forEachImpl(t, func(t *testing.T, im *impl) {
		r := rand.New(rand.NewPCG(23, 24))
		checkLinear(t, r, 128, 300, 200, true, false, GELUActivation, true)
		checkLinear(t, r, 300, 130, 100, true, true, NoActivation, false)
	})
}

// TestLinearOtherImpl packs weights under one impl and runs Linear under
// another: the packed-only copy (PackWeights) is unpacked, same results.
func TestLinearOtherImpl(t *testing.T) {
	blockedPath(t)
	r := rand.New(rand.NewPCG(25, 26))
	const m, n, k = 9, 21, 40
	x, w, bias, res := randSlice(r, m*k, 1), randSlice(r, n*k, 1), randSlice(r, n, 1), randSlice(r, m*n, 1)
	for _, packer := range Available() {
		restore, _ := Use(packer)
		pb := PackWeights(n, k, w)
		restore()
		for _, runner := range Available() {
			restore, _ := Use(runner)
			got, want := make([]float32, m*n), make([]float32, m*n)
			Linear(m, x, pb, bias, GELUActivation, res, got)
			unfusedLinear(m, n, k, x, w, bias, GELUActivation, res, want)
			restore()
			if !sameBits(got, want) {
				t.Errorf("packed under %s, run under %s: differs from the unfused kernels", packer, runner)
			}
		}
	}
}

func TestLinearMisuse(t *testing.T) {
	pb := PackWeights(3, 2, make([]float32, 6))
	y := make([]float32, 6)
	for name, f := range map[string]func(){
		"short x":        func() { Linear(2, make([]float32, 3), pb, nil, NoActivation, nil, y) },
		"short y":        func() { Linear(2, make([]float32, 4), pb, nil, NoActivation, nil, y[:5]) },
		"short bias":     func() { Linear(2, make([]float32, 4), pb, make([]float32, 2), NoActivation, nil, y) },
		"bad act":        func() { Linear(2, make([]float32, 4), pb, nil, 7, nil, y) },
		"residual is y":  func() { Linear(2, make([]float32, 4), pb, nil, NoActivation, y, y) },
		"negative m":     func() { Linear(-1, nil, pb, nil, NoActivation, nil, y) },
		"short weights":  func() { PackWeights(3, 2, make([]float32, 5)) },
		"residual tail":  func() { Linear(1, make([]float32, 2), pb, nil, NoActivation, y[2:5], y[:3]) },
		"negative shape": func() { PackWeights(-1, 2, nil) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

func ExampleLinear() {
	// W is [out=2, in=3] (PyTorch layout), packed once.
	w := PackWeights(2, 3, []float32{
		1, 0, -1,
		0.5, 0.5, 0.5,
	})
	x := []float32{1, 2, 3} // one row
	bias := []float32{0, -3}
	residual := []float32{10, 20}
	y := make([]float32, 2)
	Linear(1, x, w, bias, NoActivation, residual, y)
	fmt.Println(y) // [1-3+0+10, 3-3+20]
	Linear(1, x, w, bias, GELUActivation, nil, y)
	fmt.Printf("%.4f %.4f\n", y[0], y[1]) // GELU(-2), GELU(0)
	// Output:
	// [8 20]
	// -0.0455 0.0000
}

// TestLinearBlockingParams runs Linear with the register tiles and
// blockings of every impl (TestBlocking's CPUs), with a Go micro-kernel of
// that tile, so the fused epilogue's tile and edge handling is checked for
// the avx512 (8×48) and neon (8×12) blockings on any CPU.
func TestLinearBlockingParams(t *testing.T) {
	blockedPath(t)
	best := impls[len(impls)-1]
	for _, p := range [][5]int{{8, 48, 1024, 128, 96}, {8, 48, 680, 96, 96}, {8, 12, 680, 192, 192}, {6, 16, 256, 252, 256}} {
		im := *genericImpl
		im.name = fmt.Sprintf("ref%dx%d", p[0], p[1])
		im.mr, im.nr, im.kc, im.mc, im.nc = p[0], p[1], p[2], p[3], p[4]
		im.micro = microRef(im.mr, im.nr)
		im.add, im.gelu, im.addTile, im.geluTile = best.add, best.gelu, best.addTile, best.geluTile
		prev := active.Swap(&im)
		r := rand.New(rand.NewPCG(uint64(p[0]), uint64(p[2])))
		for i, s := range [][3]int{{1, 1, 1}, {im.mr + 1, im.nr + 1, 13}, {2*im.mr - 1, 2*im.nr - 3, im.kc + 9}, {3, 100, 40}} {
			checkLinear(t, r, s[0], s[1], s[2], i%2 == 0, i != 1, Activation(i%2), i == 2)
		}
		active.Store(prev)
	}
}

// TestPackedBytes checks the packed size: k × N rounded up to whole
// nr-wide panels, plus at most 16 floats of alignment slack.
func TestPackedBytes(t *testing.T) {
	im := cur()
	for _, s := range [][2]int{{1, 1}, {768, 3072}, {100, 7}} {
		n, k := s[0], s[1]
		pb := PackWeights(n, k, make([]float32, n*k))
		want := 4 * k * ((n + im.nr - 1) / im.nr * im.nr)
		if b := pb.Bytes(); b < want || b > want+64 {
			t.Errorf("PackWeights(%d, %d).Bytes() = %d, want %d (+ ≤ 64 B alignment)", n, k, b, want)
		}
	}
}
