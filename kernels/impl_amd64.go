//go:build !purego

package kernels

// archImpls are the x86 impls the CPU supports (cpu.go's features), worst
// to best. Each impl's requires string lists exactly what those features
// check; a test keeps the generated files' "// Requires:" lines inside it. MMX+ (avo's
// name for PREFETCHT0) and SSE are part of every x86-64 CPU, so they are
// not checked. The AVX-512 impl reuses the AVX2 vector kernels.
var archImpls = amd64Impls()

// avx2: 6×16 tile (12 ymm accumulators), blocked for L1 (blocking.go).
var avx2Impl = withAVX2Vec(&impl{
	name: "avx2", requires: "AVX, AVX2, FMA3, MMX+, SSE",
	mr: 6, nr: 16,
	micro: gemmMicroAVX2, packA6: packA6AVX2,
	microRows: []func(k int, a, b, c *float32, ldc int, accum int){nil,
		gemmMicroAVX2R1, gemmMicroAVX2R2, gemmMicroAVX2R3, gemmMicroAVX2R4, gemmMicroAVX2R5},
	int8: int8AVX2,
	peak: fmaPeakAVX2, peakFlops: 12 * 8 * 2,
})

var avx512Impl = withAVX512Vec(&impl{
	name: "avx512", requires: "AVX, AVX2, FMA3, MMX+, SSE, AVX512F, AVX512BW, AVX512DQ, AVX512VL",
	mr: 8, nr: 48, bFromL2: true,
	micro: gemmMicroAVX512,
	microRows: []func(k int, a, b, c *float32, ldc int, accum int){nil,
		gemmMicroAVX512R1, gemmMicroAVX512R2, gemmMicroAVX512R3, gemmMicroAVX512R4,
		gemmMicroAVX512R5, gemmMicroAVX512R6, gemmMicroAVX512R7},
	int8: int8ForAVX512(),
	peak: fmaPeakAVX512, peakFlops: 12 * 16 * 2,
})

// withAVX512Vec fills im's vector and row kernels with the AVX2 ones,
// except GELU, which has an AVX-512 kernel (bit-identical per element).
func withAVX512Vec(im *impl) *impl {
	withAVX2Vec(im)
	im.gelu, im.geluTile = geluAVX512s, geluTileAVX512
	return im
}

// withAVX2Vec fills im's vector and row kernels with the AVX2 ones.
func withAVX2Vec(im *impl) *impl {
	im.dot, im.axpy, im.add, im.scale = dotAVX2s, axpyAVX2s, addAVX2s, scaleAVX2s
	im.softmaxRows, im.softmaxRowsBackward = softmaxRowsAVX2, softmaxRowsBackwardAVX2
	im.layerNorm, im.layerNormBackward = layerNormAVX2, layerNormBackwardAVX2
	im.gelu, im.geluBackward = geluAVX2s, geluBackwardAVX2s
	im.addTile, im.geluTile = addTileAVX2, geluTileAVX2
	im.packBT8, im.packBN = packBT8AVX2, packBNAVX2
	im.adamw = adamwAVX2s
	return im
}

func amd64Impls() []*impl {
	var out []*impl
	if features.avx2 {
		out = append(out, avx2Impl)
	}
	if features.avx512 {
		out = append(out, avx512Impl)
	}
	return out
}
