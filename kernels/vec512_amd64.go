//go:build !purego

package kernels

// Slice wrappers around the AVX-512 kernels (vec_avx512_amd64.s), with the
// tails of vec_amd64.go's AVX2 wrappers: a 16-float stack buffer, so every
// element goes through the same polynomial.

func geluAVX512s(dst, x []float32) {
	chunksParallel(len(x), func(lo, hi int) { geluTileAVX512(dst[lo:hi], x[lo:hi]) })
}

// geluTileAVX512 is geluAVX512s on one goroutine (the GEMM epilogue's rows).
func geluTileAVX512(dst, x []float32) {
	n := len(x) &^ 15
	chunked(n, func(a, b int) { geluAVX512(p32(dst[a:]), p32(x[a:]), b-a) })
	if n < len(x) {
		var buf [16]float32
		copy(buf[:], x[n:])
		geluAVX512(&buf[0], &buf[0], 16)
		copy(dst[n:len(x)], buf[:])
	}
}
