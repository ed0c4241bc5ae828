package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkBlockingSweep times C = A·Bᵀ (B pre-packed, 1 thread) with the
// best impl under a grid of kc × mc, next to the derived blocking
// ("derived" in the name), to check blocking.go's choice on this CPU.
func BenchmarkBlockingSweep(b *testing.B) {
	best := impls[len(impls)-1]
	r := rand.New(rand.NewPCG(5, 5))
	for _, s := range [][3]int{{1024, 768, 3072}, {1024, 3072, 768}} {
		m, k, n := s[0], s[1], s[2]
		a, w, c := randSlice(r, m*k, 1), randSlice(r, n*k, 1), make([]float32, m*n)
		flop := 2 * float64(m) * float64(n) * float64(k)
		configs := [][2]int{{best.kc, best.mc}}
		for _, kc := range []int{128, 256, 384, 512, 768} {
			for _, mcPan := range []int{16, 32, 64} {
				configs = append(configs, [2]int{kc, mcPan * best.mr})
			}
		}
		for i, cfg := range configs {
			name := fmt.Sprintf("M%d_K%d_N%d/%s/kc=%d/mc=%d", m, k, n, best.name, cfg[0], cfg[1])
			if i == 0 {
				name += "/derived"
			}
			b.Run(name, func(b *testing.B) {
				im := *best
				im.kc, im.mc = cfg[0], cfg[1]
				prev := active.Swap(&im)
				defer active.Store(prev)
				withThreads(1, func() {
					pb := PackB(true, k, n, w, k)
					peak := 0.0
					if im.peak != nil {
						peak, _ = measurePeak(&im, 1)
					}
					b.ResetTimer()
					for b.Loop() {
						SgemmPacked(false, m, 1, a, k, pb, 0, c, n)
					}
					gf := flop * float64(b.N) / b.Elapsed().Seconds() / 1e9
					b.ReportMetric(gf, "GFLOP/s")
					if peak > 0 {
						b.ReportMetric(100*gf/peak, "%peak")
					}
				})
			})
		}
	}
}
