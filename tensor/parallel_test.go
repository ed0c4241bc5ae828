package tensor

import (
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
)

// TestDropoutLargeIndependentOfThreads: tensors above dropBlock use one
// stream per block in parallel; the mask must depend only on the seed, the
// survivors must be scaled, the dropped fraction must be p, and the
// backward must use the same mask.
func TestDropoutLargeIndependentOfThreads(t *testing.T) {
	n := 3*dropBlock + 1001 // odd tail block
	x := Zeros(n)
	for i := range x.Data {
		x.Data[i] = float32(i%5) + 1
	}
	x.SetRequiresGrad(true)
	const p = 0.1
	run := func(procs int) (y, grad []float32) {
		prev := runtime.GOMAXPROCS(procs)
		defer runtime.GOMAXPROCS(prev)
		x.Grad = nil
		out := Dropout(x, p, rand.New(rand.NewPCG(7, 8)))
		Sum(out).Backward()
		return out.Data, x.Grad
	}
	y1, g1 := run(1)
	y2, g2 := run(2)
	if !slices.Equal(y1, y2) || !slices.Equal(g1, g2) {
		t.Fatal("dropout mask depends on GOMAXPROCS")
	}
	scale := float32(1 / (1 - p))
	dropped := 0
	for i, v := range y1 {
		switch {
		case v == 0 && g1[i] == 0:
			dropped++
		case v == x.Data[i]*scale && g1[i] == scale:
		default:
			t.Fatalf("element %d: y %v grad %v for x %v", i, v, g1[i], x.Data[i])
		}
	}
	// σ of the fraction is sqrt(p(1-p)/n) ≈ 0.0015; allow 5σ.
	if frac := float64(dropped) / float64(n); math.Abs(frac-p) > 0.0075 {
		t.Errorf("dropped fraction %.4f, want about %v", frac, p)
	}
	// Blocks must not repeat one another's masks.
	b0, b1 := y1[:dropBlock], y1[dropBlock:2*dropBlock]
	same := 0
	for i := range b0 {
		if (b0[i] == 0) == (b1[i] == 0) {
			same++
		}
	}
	if same == dropBlock {
		t.Error("blocks 0 and 1 drew the same mask")
	}
}

func TestParallelBlocksVisitsEachOnce(t *testing.T) {
	prev := runtime.GOMAXPROCS(2)
	defer runtime.GOMAXPROCS(prev)
	for _, n := range []int{0, 1, 2, 7, 100} {
		seen := make([]int32, n)
		parallelBlocks(n, func(b int) { seen[b]++ })
		for b, c := range seen {
			if c != 1 {
				t.Fatalf("n=%d: block %d run %d times", n, b, c)
			}
		}
	}
}
