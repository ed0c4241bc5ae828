package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkLinear times BERT-base Linear layers (M = batch·seq rows: 1024
// for batch 8, 128 for batch 1) with the best impl: "fused" is Linear on
// PackWeights; "packed+separate" is SgemmPacked then the separate bias, GELU
// and residual kernels; "sgemm+separate" is Sgemm (B packed per call) then
// the same kernels. Epilogues as in BERT: K768→N3072 is the FFN up
// projection (bias + GELU), the others add bias and the residual. Reports
// GFLOP/s (GEMM flops only) and % of the FMA peak measured on the same
// thread count right before.
func BenchmarkLinear(b *testing.B) {
	im := impls[len(impls)-1]
	r := rand.New(rand.NewPCG(8, 8))
	for _, m := range []int{1024, 128} {
		for _, kn := range [][2]int{{768, 768}, {768, 3072}, {3072, 768}} {
			k, n := kn[0], kn[1]
			x, w, bias := randSlice(r, m*k, 1), randSlice(r, n*k, 1), randSlice(r, n, 1)
			y := make([]float32, m*n)
			act, res := NoActivation, randSlice(r, m*n, 1)
			if n > k {
				act, res = GELUActivation, nil
			}
			flop := 2 * float64(m) * float64(n) * float64(k)
			for _, t := range benchThreads {
				for _, variant := range []string{"fused", "packed+separate", "sgemm+separate"} {
					b.Run(fmt.Sprintf("M%d_K%d_N%d/%s/%s/threads=%d", m, k, n, im.name, variant, t), func(b *testing.B) {
						restore, _ := Use(im.name)
						defer restore()
						withThreads(t, func() {
							pb := PackWeights(n, k, w)
							peak, peakCPU := 0.0, 0.0
							if im.peak != nil {
								peak, peakCPU = measurePeak(im, t)
							}
							cpu0 := cpuSeconds()
							b.ResetTimer()
							for b.Loop() {
								switch variant {
								case "fused":
									Linear(m, x, pb, bias, act, res, y)
								case "packed+separate":
									SgemmPacked(false, m, 1, x, k, pb, 0, y, n)
									separateEpilogue(m, n, y, bias, act, res)
								default:
									Sgemm(false, true, m, n, k, 1, x, k, w, k, 0, y, n)
									separateEpilogue(m, n, y, bias, act, res)
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
}

// separateEpilogue is Linear's epilogue as separate passes over y.
func separateEpilogue(m, n int, y, bias []float32, act Activation, res []float32) {
	for i := 0; i < m; i++ {
		Add(y[i*n:(i+1)*n], y[i*n:(i+1)*n], bias)
	}
	if act == GELUActivation {
		GELU(y, y)
	}
	if res != nil {
		Add(y, y, res)
	}
}
