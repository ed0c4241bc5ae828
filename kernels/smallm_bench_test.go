package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkSgemmSmallM times batch-1 BERT-base GEMMs (M = seq 128 rows,
// C = A·Bᵀ) with the best impl, B packed per call and pre-packed, on 1 and
// 2 threads, with % of the FMA peak measured on the same thread count.
func BenchmarkSgemmSmallM(b *testing.B) {
	im := impls[len(impls)-1]
	r := rand.New(rand.NewPCG(6, 6))
	for _, s := range [][3]int{{128, 768, 768}, {128, 768, 3072}, {128, 3072, 768}} {
		m, k, n := s[0], s[1], s[2]
		a, w, c := randSlice(r, m*k, 1), randSlice(r, n*k, 1), make([]float32, m*n)
		flop := 2 * float64(m) * float64(n) * float64(k)
		for _, t := range benchThreads {
			for _, packed := range []bool{false, true} {
				kind := "Sgemm"
				if packed {
					kind = "SgemmPacked"
				}
				b.Run(fmt.Sprintf("M%d_K%d_N%d/%s/%s/threads=%d", m, k, n, im.name, kind, t), func(b *testing.B) {
					withThreads(t, func() {
						pb := PackB(true, k, n, w, k)
						peak, peakCPU := 0.0, 0.0
						if im.peak != nil {
							peak, peakCPU = measurePeak(im, t)
						}
						cpu0 := cpuSeconds()
						b.ResetTimer()
						for b.Loop() {
							if packed {
								SgemmPacked(false, m, 1, a, k, pb, 0, c, n)
							} else {
								Sgemm(false, true, m, n, k, 1, a, k, w, k, 0, c, n)
							}
						}
						gf := flop * float64(b.N) / b.Elapsed().Seconds() / 1e9
						b.ReportMetric(gf, "GFLOP/s")
						if peak > 0 {
							b.ReportMetric(100*gf/peak, "%peak")
						}
						// Per CPU-second: robust to time slicing by other processes.
						if cpu := cpuSeconds() - cpu0; cpu > 0 && peakCPU > 0 {
							b.ReportMetric(100*(flop*float64(b.N)/cpu/1e9)/peakCPU, "%peak-cpu")
						}
					})
				})
			}
		}
	}
}
