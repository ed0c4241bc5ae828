//go:build !purego

package kernels

// adamwAVX2s runs the AVX2 AdamW update (vec_avx2_amd64.s) on the multiple
// of 8 in vecChunk pieces, and the tail in Go; both give adamwGeneric's bits.
func adamwAVX2s(p, g, m, v []float32, s AdamWScalars) {
	n := len(g) &^ 7
	chunked(n, func(lo, hi int) {
		if s.DoDecay {
			adamwDecayAVX2(p32(p[lo:]), p32(g[lo:]), p32(m[lo:]), p32(v[lo:]), hi-lo,
				s.gradScale(), s.B1, s.B2, s.C1, s.C2, s.NegStep, s.BC2Sqrt, s.Eps, s.Decay)
		} else {
			adamwAVX2(p32(p[lo:]), p32(g[lo:]), p32(m[lo:]), p32(v[lo:]), hi-lo,
				s.gradScale(), s.B1, s.B2, s.C1, s.C2, s.NegStep, s.BC2Sqrt, s.Eps)
		}
	})
	adamwGeneric(p[n:], g[n:], m[n:], v[n:], s)
}
