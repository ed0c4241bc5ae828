//go:build !purego

package kernels

import (
	"math"
	"testing"
)

// TestExpAVX2 checks the vectorised exp over the float32 range: ≤ 2 ulp for
// normal results, exactly 0 below the normal range and for -Inf.
func TestExpAVX2(t *testing.T) {
	if lookupImpl("avx2") == nil {
		t.Skip("no AVX2 on this machine")
	}
	var buf [8]float32
	worst := 0.0
	check := func(xs []float32) {
		copy(buf[:], xs)
		expSubSumAVX2(&buf[0], 8, 0)
		for i, x := range xs {
			want := math.Exp(float64(x))
			got := float64(buf[i])
			if want < 0x1p-126 || math.IsInf(float64(x), -1) {
				if want < 1.17e-38*0.5 && got != 0 && !(got < 0x1p-125) {
					t.Fatalf("exp(%g) = %g, want ~0", x, got)
				}
				continue
			}
			u := math.Abs(got-want) / ulp32(want)
			worst = math.Max(worst, u)
			if u > 2 {
				t.Fatalf("exp(%g) = %.9g, want %.9g (%.2f ulp)", x, got, want, u)
			}
		}
	}
	var xs [8]float32
	k := 0
	for x := float32(-87.3); x < 88.37; x += 0.0007 {
		xs[k%8] = x
		k++
		if k%8 == 0 {
			check(xs[:])
		}
	}
	check([]float32{float32(math.Inf(-1)), -1e30, -100, -88, 0, float32(math.Copysign(0, -1)), 1e-30, 88.37})
	t.Logf("max error %.3f ulp", worst)
}
