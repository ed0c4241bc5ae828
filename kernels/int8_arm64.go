//go:build !purego

package kernels

// The arm64 int8 micro-kernel (gemm_int8_neon_arm64.s, hand-written) needs
// the ARMv8.2 dot-product extension (SDOT); without it the neon impl runs
// the generic int8 kernel. It has only run under qemu-aarch64 (correctness,
// not speed).
var int8NEON = &int8Impl{name: "neon-sdot", requires: "ASIMD, ASIMDDP", mr: 6, micro: gemmU8S8MicroNEON}

// gemmU8S8MicroNEON computes the 6×16 int32 tile of gemmU8S8MicroGeneric
// with SDOT; exact for activations ≤ 127.
//
//go:noescape
func gemmU8S8MicroNEON(kg int, a *uint8, lda int, b *int8, c *int32)

// int8ForNEON picks the neon impl's int8 kernel: SDOT when the CPU has the
// dot-product extension, else nil (generic).
func int8ForNEON() *int8Impl {
	if features.neonDot {
		return int8NEON
	}
	return nil
}

// int8Impls lists every int8 kernel this CPU can run (for tests).
func int8Impls() []*int8Impl {
	out := []*int8Impl{int8Generic}
	if features.neonDot {
		out = append(out, int8NEON)
	}
	return out
}
