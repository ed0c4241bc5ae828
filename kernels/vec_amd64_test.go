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

// TestGELUAVX512 checks geluAVX512 bit for bit against geluAVX2 (the same
// operations on 16 lanes instead of 8) over special values, the whole
// float32 range in steps, and every tail length through the wrappers.
func TestGELUAVX512(t *testing.T) {
	if lookupImpl("avx512") == nil {
		t.Skipf("no AVX-512 on this CPU (available: %v); CI runs this where it has AVX-512", Available())
	}
	xs := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)),
		float32(math.NaN()), 1e-30, -1e-30, 1e30, -1e30, 5.5, -5.5, 13, -13, 100, -100, 1, -1}
	for x := float32(-20); x < 20; x += 0.00137 {
		xs = append(xs, x)
	}
	for n := 0; n <= len(xs); n += 1 + n/7 {
		want, got := make([]float32, n), make([]float32, n)
		geluAVX2s(want, xs[:n])
		geluAVX512s(got, xs[:n])
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("n %d: geluAVX512(%g) = %g, geluAVX2 %g", n, xs[i], got[i], want[i])
			}
		}
		tile := make([]float32, n)
		geluTileAVX512(tile, xs[:n])
		if !sameBits(tile, want) {
			t.Fatalf("n %d: geluTileAVX512 differs from geluAVX2s", n)
		}
	}
}
