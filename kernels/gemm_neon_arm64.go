//go:build !purego

package kernels

// gemmMicroNEON computes an 8×12 tile of C from packed panels a (8 floats
// per k) and b (12 floats per k); accum == 0 stores the tile, otherwise adds
// it to C. ldc is in floats. Implemented in gemm_neon_arm64.s.
//
//go:noescape
func gemmMicroNEON(k int, a, b, c *float32, ldc int, accum int)
