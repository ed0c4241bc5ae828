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

// TestPackABlock: packing several row panels at once (k row by k row for a
// transposed A) gives the same panels as packA on each.
func TestPackABlock(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, im := range impls {
		for _, c := range []struct{ m, ip0, ip1, p0, kcb int }{
			{25, 0, 5, 0, 9}, {25, 1, 5, 3, 1}, {12, 0, 2, 0, 16}, {7, 0, 1, 2, 5}, {50, 2, 9, 0, 33},
		} {
			for _, transA := range []bool{true, false} {
				const k, alpha = 40, 0.5
				lda := k + 3
				if transA {
					lda = c.m + 3
				}
				a := randSlice(r, 64*64, 1)
				mr := im.mr
				if c.ip1*mr-mr >= c.m {
					continue // the block would start beyond m
				}
				want := make([]float32, (c.ip1-c.ip0)*c.kcb*mr)
				got := make([]float32, len(want))
				for i := range got {
					got[i] = float32(math.NaN())
				}
				for ip := c.ip0; ip < c.ip1; ip++ {
					packA(want[(ip-c.ip0)*c.kcb*mr:], transA, alpha, a, lda, c.m, ip*mr, c.p0, c.kcb, im)
				}
				packABlock(got, transA, alpha, a, lda, c.m, c.ip0, c.ip1, c.p0, c.kcb, im)
				for i := range want {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("%s %+v transA %v: [%d] = %g, packA gives %g", im.name, c, transA, i, got[i], want[i])
					}
				}
			}
		}
	}
}

// TestPackBN: packing panels of a B that is not transposed with the asm row
// copier gives the Go loop's panels, for every panel width it serves.
func TestPackBN(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, im := range impls {
		if im.packBN == nil {
			continue
		}
		for _, nr := range []int{8, 16, 24, 32, 40, 48} {
			for _, kcb := range []int{1, 2, 7, 64} {
				const ldb, p0, j0 = 61, 3, 5
				b := randSlice(r, (p0+kcb)*ldb, 1)
				want := make([]float32, kcb*nr)
				for p := 0; p < kcb; p++ {
					copy(want[p*nr:(p+1)*nr], b[(p0+p)*ldb+j0:])
				}
				got := make([]float32, kcb*nr+1)
				got[kcb*nr] = 42 // sentinel after the panel
				im.packBN(&got[0], &b[p0*ldb+j0], ldb, nr/8, kcb)
				for i := range want {
					if got[i] != want[i] {
						t.Fatalf("%s nr=%d kcb=%d: [%d] = %g, want %g", im.name, nr, kcb, i, got[i], want[i])
					}
				}
				if got[kcb*nr] != 42 {
					t.Fatalf("%s nr=%d kcb=%d: wrote past the panel", im.name, nr, kcb)
				}
			}
		}
	}
}
