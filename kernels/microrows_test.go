package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestMicroRows: each row-count kernel writes exactly the first h rows of
// the full micro-kernel's tile, bit for bit, stored or added, and leaves the
// rows below untouched.
func TestMicroRows(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, im := range impls {
		if im.microRows == nil {
			continue
		}
		if len(im.microRows) != im.mr {
			t.Fatalf("%s: %d row kernels for mr %d", im.name, len(im.microRows), im.mr)
		}
		for h := 1; h < im.mr; h++ {
			for _, k := range []int{0, 1, 7, 8, 9, 17, 256} {
				for _, accum := range []int{0, 1} {
					name := fmt.Sprintf("%s/h=%d/k=%d/accum=%d", im.name, h, k, accum)
					a := randSlice(r, max(k, 1)*im.mr, 1)
					b := randSlice(r, max(k, 1)*im.nr, 1)
					const ldc = 70 // wider than nr: the kernel must use the stride
					c0 := randSlice(r, im.mr*ldc, 1)
					want := append([]float32(nil), c0...)
					got := append([]float32(nil), c0...)
					for i := h * ldc; i < len(got); i++ {
						got[i] = float32(math.NaN()) // rows the kernel must not touch
					}
					im.micro(k, &a[0], &b[0], &want[0], ldc, accum)
					im.microRows[h](k, &a[0], &b[0], &got[0], ldc, accum)
					for i := 0; i < h; i++ {
						for j := 0; j < ldc; j++ {
							g, w := got[i*ldc+j], want[i*ldc+j]
							if j >= im.nr {
								w = c0[i*ldc+j] // outside the tile: untouched
							}
							if math.Float32bits(g) != math.Float32bits(w) {
								t.Fatalf("%s: C[%d][%d] = %g, want %g", name, i, j, g, w)
							}
						}
					}
					for i := h * ldc; i < len(got); i++ {
						if !math.IsNaN(float64(got[i])) {
							t.Fatalf("%s: wrote row %d below the %d it owns", name, i/ldc, h)
						}
					}
				}
			}
		}
	}
}
