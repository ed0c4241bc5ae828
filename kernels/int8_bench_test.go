package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkLinearInt8 compares the int8 Linear (quantize + u8·s8 GEMM +
// epilogue) with the fp32 packed SGEMM on BERT-base shapes, in one run.
// GMAC/s counts m·n·k multiply-adds.
func BenchmarkLinearInt8(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, s := range [][3]int{{128, 768, 768}, {1024, 768, 768}, {1024, 3072, 768}, {1024, 768, 3072}} {
		m, n, k := s[0], s[1], s[2]
		x := randSlice(r, m*k, 1)
		wf := randSlice(r, n*k, 0.05)
		w := make([]int8, n*k)
		int8Fill(r, 0, nil, 0, w)
		pw := PackInt8(n, k, w)
		ws := randSlice(r, n, 0.01)
		y := make([]float32, m*n)
		macs := float64(m * n * k)
		b.Run(fmt.Sprintf("int8/m%d_n%d_k%d", m, n, k), func(b *testing.B) {
			for b.Loop() {
				LinearInt8(m, x, k, pw, ws, nil, y, n)
			}
			b.ReportMetric(macs*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
		})
		pb := PackB(true, k, n, wf, k)
		b.Run(fmt.Sprintf("fp32/m%d_n%d_k%d", m, n, k), func(b *testing.B) {
			for b.Loop() {
				SgemmPacked(false, m, 1, x, k, pb, 0, y, n)
			}
			b.ReportMetric(macs*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
		})
	}
}

// BenchmarkLinearInt8Fused times the FFN up projection of BERT-base (K 768 →
// N 3072, bias + GELU) in int8: LinearInt8Fused against LinearInt8 followed
// by the separate GELU kernel, at batch 8 and batch 1 (M 1024, 128).
func BenchmarkLinearInt8Fused(b *testing.B) {
	r := rand.New(rand.NewPCG(2, 1))
	const n, k = 3072, 768
	w := make([]int8, n*k)
	int8Fill(r, 0, nil, 0, w)
	pw := PackInt8(n, k, w)
	ws, bias := randSlice(r, n, 0.01), randSlice(r, n, 1)
	for _, m := range []int{1024, 128} {
		x, y := randSlice(r, m*k, 1), make([]float32, m*n)
		macs := float64(m * n * k)
		for _, fused := range []bool{true, false} {
			name := fmt.Sprintf("m%d_n%d_k%d/separate", m, n, k)
			if fused {
				name = fmt.Sprintf("m%d_n%d_k%d/fused", m, n, k)
			}
			b.Run(name, func(b *testing.B) {
				for b.Loop() {
					if fused {
						LinearInt8Fused(m, x, pw, ws, bias, GELUActivation, nil, y)
					} else {
						LinearInt8(m, x, k, pw, ws, bias, y, n)
						GELU(y, y)
					}
				}
				b.ReportMetric(macs*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
			})
		}
	}
}
