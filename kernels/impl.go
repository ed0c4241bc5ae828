package kernels

import "unsafe"

// impl is one implementation of the kernels: a table of function values and
// the blocking parameters of its GEMM micro-kernel. cpu.go picks one at init.
type impl struct {
	name     string // "generic", "avx2", "avx512", "neon"
	requires string // ISA extensions, as the generated file's "// Requires:" line

	// unverified marks an impl whose assembly has never run on real
	// hardware: it is never chosen by default, only by MEDBERT_KERNELS or Use.
	unverified bool

	// GEMM register tile and cache blocking (see gemm.go).
	mr, nr int // micro-tile rows and columns
	kc     int // K block: depth of packed panels
	mc     int // M block: rows of A packed at once (multiple of mr)

	// micro computes the mr×nr tile T = Σ_p a[p*mr+i]·b[p*nr+j] over k packed
	// steps and stores it to c (row stride ldc floats) when accum == 0, or
	// adds it to c otherwise. Must not be called with a goroutine-unsafe c.
	micro func(k int, a, b, c *float32, ldc int, accum int)

	// packBT8, if not nil, transposes 8 rows of B into 8 columns of a packed
	// panel: dst[p*nr+i] = src[i*ldb+p], i < 8, p < 8·kb.
	packBT8 func(dst, src *float32, ldb, nr, kb int)
	// packA6, if not nil, packs six rows of A for an mr == 6 tile:
	// dst[p*6+i] = alpha·src[i*lda+p], p < 8·kb, writing 2 floats of slack.
	packA6 func(dst, src *float32, lda, kb int, alpha float32)

	// peak runs n iterations of peakFlops flops of independent FMAs: the
	// benchmarks' measure of the machine's FMA peak (nil for generic).
	peak      func(n int)
	peakFlops int

	// Vector and row kernels, with the semantics of the exported functions
	// of the same name in api.go (arguments already checked).
	dot                 func(x, y []float32) float32
	axpy                func(alpha float32, x, y []float32)
	add                 func(dst, a, b []float32)
	scale               func(alpha float32, x []float32)
	softmaxRows         func(dst, x []float32, rows, cols int, scale float32, mask []float32)
	softmaxRowsBackward func(dx, y, dy []float32, rows, cols int, scale float32)
	layerNorm           func(dst, mean, rstd, x, gamma, beta []float32, rows, cols int, eps float32)
	layerNormBackward   func(dx, dgamma, dbeta, dy, x, mean, rstd, gamma []float32, rows, cols int)
	gelu                func(dst, x []float32)
	geluBackward        func(dx, x, dy []float32)
}

var genericImpl = &impl{
	name: "generic", requires: "",
	mr: 4, nr: 4, kc: 256, mc: 128,
	micro: gemmMicroGeneric,
	dot:   dotGeneric, axpy: axpyGeneric, add: addGeneric, scale: scaleGeneric,
	softmaxRows: softmaxRowsGeneric, softmaxRowsBackward: softmaxRowsBackwardGeneric,
	layerNorm: layerNormGeneric, layerNormBackward: layerNormBackwardGeneric,
	gelu: geluGeneric, geluBackward: geluBackwardGeneric,
}

// gemmMicroGeneric is the Go micro-kernel (4×4 tile, 16 scalar accumulators
// kept in registers by the compiler). It is the reference the assembly
// micro-kernels implement:
//
//	T[i][j] = Σ_{p<k} a[p*4+i]*b[p*4+j];  c[i*ldc+j] = T[i][j]  (accum==0) or += T[i][j]
func gemmMicroGeneric(k int, a, b, c *float32, ldc int, accum int) {
	const mr, nr = 4, 4
	ap := unsafe.Slice(a, k*mr)
	bp := unsafe.Slice(b, k*nr)
	var c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33 float32
	for p := 0; p < k; p++ {
		av := ap[p*mr : p*mr+mr : p*mr+mr]
		bv := bp[p*nr : p*nr+nr : p*nr+nr]
		b0, b1, b2, b3 := bv[0], bv[1], bv[2], bv[3]
		a0, a1, a2, a3 := av[0], av[1], av[2], av[3]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		c20 += a2 * b0
		c21 += a2 * b1
		c22 += a2 * b2
		c23 += a2 * b3
		c30 += a3 * b0
		c31 += a3 * b1
		c32 += a3 * b2
		c33 += a3 * b3
	}
	cs := unsafe.Slice(c, 3*ldc+nr)
	t := [mr][nr]float32{{c00, c01, c02, c03}, {c10, c11, c12, c13}, {c20, c21, c22, c23}, {c30, c31, c32, c33}}
	for i := range mr {
		row := cs[i*ldc : i*ldc+nr : i*ldc+nr]
		if accum == 0 {
			row[0], row[1], row[2], row[3] = t[i][0], t[i][1], t[i][2], t[i][3]
		} else {
			row[0] += t[i][0]
			row[1] += t[i][1]
			row[2] += t[i][2]
			row[3] += t[i][3]
		}
	}
}
