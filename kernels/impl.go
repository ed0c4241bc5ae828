package kernels

import "unsafe"

// impl is one implementation of the kernels: a table of function values and
// the blocking parameters of its GEMM micro-kernel. cpu.go picks one at init.
type impl struct {
	name     string // "generic", "avx2", "avx512", "neon"
	requires string // ISA extensions, as the generated file's "// Requires:" line

	// GEMM register tile and cache blocking (see gemm.go, blocking.go).
	mr, nr  int  // micro-tile rows and columns
	bFromL2 bool // the micro-kernel streams B micro-panels from L2 at full speed
	kc      int  // K block: largest depth of packed panels (set by withBlocking)
	mc      int  // M block: rows of A packed at once (multiple of mr)
	nc      int  // N chunk: columns per task when splitting along N (multiple of nr)

	// micro computes the mr×nr tile T = Σ_p a[p*mr+i]·b[p*nr+j] over k packed
	// steps and stores it to c (row stride ldc floats) when accum == 0, or
	// adds it to c otherwise. Must not be called with a goroutine-unsafe c.
	micro func(k int, a, b, c *float32, ldc int, accum int)
	// microRows, if not nil, holds at index h in [1, mr) a micro-kernel
	// that computes only the first h rows of the tile (A panels keep mr
	// floats per k), bit-identical to micro's rows: the last panel of an M
	// that mr does not divide then costs h rows' work and writes C
	// directly instead of through a scratch tile.
	microRows []func(k int, a, b, c *float32, ldc int, accum int)

	// packBT8, if not nil, transposes 8 rows of B into 8 columns of a packed
	// panel: dst[p*nr+i] = src[i*ldb+p], i < 8, p < 8·kb.
	packBT8 func(dst, src *float32, ldb, nr, kb int)
	// packBN, if not nil, copies k rows of 8·nv floats (row stride ldb) one
	// after the other: a packed panel of a B that is not transposed.
	packBN func(dst, src *float32, ldb, nv, k int)
	// packA6, if not nil, packs six rows of A for an mr == 6 tile:
	// dst[p*6+i] = alpha·src[i*lda+p], p < 8·kb, writing 2 floats of slack.
	packA6 func(dst, src *float32, lda, kb int, alpha float32)

	// int8 is the u8×s8 GEMM micro-kernel set of this impl (int8_gemm.go);
	// nil runs the generic one.
	int8 *int8Impl

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
	adamw               func(p, g, m, v []float32, s AdamWScalars)

	// addTile and geluTile are add and gelu for the short rows of a GEMM
	// epilogue: single-threaded, and per element bit-identical to them.
	addTile  func(dst, a, b []float32)
	geluTile func(dst, x []float32)
}

var genericImpl = &impl{
	name: "generic", requires: "",
	mr: 4, nr: 2,
	micro: gemmMicroGeneric,
	dot:   dotGeneric, axpy: axpyGeneric, add: addGeneric, scale: scaleGeneric,
	softmaxRows: softmaxRowsGeneric, softmaxRowsBackward: softmaxRowsBackwardGeneric,
	layerNorm: layerNormGeneric, layerNormBackward: layerNormBackwardGeneric,
	gelu: geluGeneric, geluBackward: geluBackwardGeneric,
	addTile: addGeneric, geluTile: geluGeneric,
	adamw: adamwGeneric,
}

// gemmMicroGeneric is the Go micro-kernel, a 4×2 tile: 8 scalar accumulators
// plus the operands fit the 15 usable XMM registers (a 4×4 tile spills and ran
// 1.7× slower). It is the reference the assembly micro-kernels implement:
//
//	T[i][j] = Σ_{p<k} a[p*4+i]*b[p*2+j];  c[i*ldc+j] = T[i][j]  (accum==0) or += T[i][j]
func gemmMicroGeneric(k int, a, b, c *float32, ldc int, accum int) {
	const mr, nr = 4, 2
	ap := unsafe.Slice(a, k*mr)
	bp := unsafe.Slice(b, k*nr)
	var c00, c01, c10, c11, c20, c21, c30, c31 float32
	for p := 0; p < k; p++ {
		av := ap[p*mr : p*mr+mr : p*mr+mr]
		bv := bp[p*nr : p*nr+nr : p*nr+nr]
		b0, b1 := bv[0], bv[1]
		c00 += av[0] * b0
		c01 += av[0] * b1
		c10 += av[1] * b0
		c11 += av[1] * b1
		c20 += av[2] * b0
		c21 += av[2] * b1
		c30 += av[3] * b0
		c31 += av[3] * b1
	}
	cs := unsafe.Slice(c, 3*ldc+nr)
	t := [mr][nr]float32{{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}}
	for i := range mr {
		row := cs[i*ldc : i*ldc+nr : i*ldc+nr]
		if accum == 0 {
			row[0], row[1] = t[i][0], t[i][1]
		} else {
			row[0] += t[i][0]
			row[1] += t[i][1]
		}
	}
}
