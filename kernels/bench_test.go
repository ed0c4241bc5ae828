package kernels

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"time"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// BERT-base GEMM shapes: C[M,N] = A[M,K]·Bᵀ with B the [N,K] weights of a
// Linear layer, M = batch 8 × seq 128.
var benchShapes = [][3]int{{1024, 768, 768}, {1024, 768, 3072}, {1024, 3072, 768}} // M, K, N

var benchThreads = []int{1, 2}

// withThreads runs f with GOMAXPROCS and the kernels' thread cap set to t.
func withThreads(t int, f func()) {
	prevProcs := runtime.GOMAXPROCS(t)
	prevMax := SetMaxThreads(t)
	defer func() { runtime.GOMAXPROCS(prevProcs); SetMaxThreads(prevMax) }()
	f()
}

// measurePeak returns the FMA peak in GFLOP/s of im on t threads: each
// thread runs the asm loop of 12 independent FMA chains. Median of 5. The
// second result is the rate per CPU-second of all threads (÷ t for a core).
func measurePeak(im *impl, t int) (wall, perCPU float64) {
	const iters = 20000 // ~0.1 ms per asm call: keeps the runtime preemptible
	const calls = 100
	var rates, cpuRates []float64
	for range 5 {
		var wg sync.WaitGroup
		start, cpu0 := time.Now(), cpuSeconds()
		for range t {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range calls {
					im.peak(iters)
				}
			}()
		}
		wg.Wait()
		flops := float64(t) * calls * iters * float64(im.peakFlops)
		rates = append(rates, flops/time.Since(start).Seconds()/1e9)
		if c := cpuSeconds() - cpu0; c > 0 {
			cpuRates = append(cpuRates, flops/c/1e9)
		}
	}
	if len(cpuRates) == 0 {
		return median(rates), 0
	}
	return median(rates), median(cpuRates)
}

func median(v []float64) float64 {
	for i := range v {
		for j := i + 1; j < len(v); j++ {
			if v[j] < v[i] {
				v[i], v[j] = v[j], v[i]
			}
		}
	}
	return v[len(v)/2]
}

// BenchmarkFMAPeak reports the FMA peak of every SIMD impl, 1 and 2 threads.
func BenchmarkFMAPeak(b *testing.B) {
	for _, im := range impls {
		if im.peak == nil {
			continue
		}
		for _, t := range benchThreads {
			b.Run(fmt.Sprintf("%s/threads=%d", im.name, t), func(b *testing.B) {
				withThreads(t, func() {
					var g, gc float64
					for b.Loop() {
						g, gc = measurePeak(im, t)
					}
					b.ReportMetric(g, "GFLOP/s")
					b.ReportMetric(gc, "GFLOP/cpu-s") // per core
				})
			})
		}
	}
}

// BenchmarkSgemm times C = A·Bᵀ on the BERT shapes for every impl (B packed
// per call, and pre-packed with PackB), next to gonum's Sgemm, on 1 and 2
// threads. For SIMD impls it also reports % of the FMA peak measured right
// before, on the same thread count.
func BenchmarkSgemm(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, s := range benchShapes {
		m, k, n := s[0], s[1], s[2]
		a := randSlice(r, m*k, 1)
		w := randSlice(r, n*k, 1)
		c := make([]float32, m*n)
		flop := 2 * float64(m) * float64(n) * float64(k)
		shape := fmt.Sprintf("M%d_K%d_N%d", m, k, n)
		for _, t := range benchThreads {
			for _, im := range impls {
				for _, packed := range []bool{false, true} {
					name := fmt.Sprintf("%s/%s/threads=%d", shape, im.name, t)
					if packed {
						name = fmt.Sprintf("%s/%s-packedB/threads=%d", shape, im.name, t)
					}
					b.Run(name, func(b *testing.B) {
						restore, _ := Use(im.name)
						defer restore()
						withThreads(t, func() {
							var pb *PackedB
							if packed {
								pb = PackB(true, k, n, w, k)
							}
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
							cpu := cpuSeconds() - cpu0
							gf := flop * float64(b.N) / b.Elapsed().Seconds() / 1e9
							b.ReportMetric(gf, "GFLOP/s")
							if peak > 0 {
								b.ReportMetric(100*gf/peak, "%peak")
							}
							// Per CPU-second: robust to time slicing by other
							// processes (but blind to idle threads).
							if cpu > 0 && peakCPU > 0 {
								b.ReportMetric(100*(flop*float64(b.N)/cpu/1e9)/peakCPU, "%peak-cpu")
							}
						})
					})
				}
			}
			b.Run(fmt.Sprintf("%s/gonum/threads=%d", shape, t), func(b *testing.B) {
				withThreads(t, func() {
					impl := gonum.Implementation{}
					cpu0 := cpuSeconds()
					for b.Loop() {
						impl.Sgemm(blas.NoTrans, blas.Trans, m, n, k, 1, a, k, w, k, 0, c, n)
					}
					b.ReportMetric(flop*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
					if cpu := cpuSeconds() - cpu0; cpu > 0 {
						b.ReportMetric(flop*float64(b.N)/cpu/1e9, "GFLOP/cpu-s") // per core
					}
				})
			})
		}
	}
}

// BenchmarkMicro times the micro-kernel alone on L1/L2-resident panels.
func BenchmarkMicro(b *testing.B) {
	for _, im := range impls {
		for _, k := range []int{256, 768} {
			b.Run(fmt.Sprintf("%s/k=%d", im.name, k), func(b *testing.B) {
				var ra, rb, rc []float32
				ap := grow(&ra, k*im.mr)
				bp := grow(&rb, k*im.nr)
				c := grow(&rc, im.mr*im.nr)
				for b.Loop() {
					im.micro(k, &ap[0], &bp[0], &c[0], im.nr, 1)
				}
				gf := 2 * float64(im.mr*im.nr*k) * float64(b.N) / b.Elapsed().Seconds() / 1e9
				b.ReportMetric(gf, "GFLOP/s")
				if im.peak != nil {
					p, _ := measurePeak(im, 1)
					b.ReportMetric(100*gf/p, "%peak")
				}
			})
		}
	}
}

// BenchmarkAttentionScores times BERT-base attention scores Q·Kᵀ for batch 8,
// seq 128, 12 heads of 64 on strided head views, with SgemmBatch.
func BenchmarkAttentionScores(b *testing.B) {
	const batch, seq, heads, hd = 8, 128, 12, 64
	const hidden = heads * hd
	r := rand.New(rand.NewPCG(2, 2))
	q, k := randSlice(r, batch*seq*hidden, 1), randSlice(r, batch*seq*hidden, 1)
	scores := make([]float32, batch*heads*seq*seq)
	var aOff, cOff []int
	for bi := 0; bi < batch; bi++ {
		for h := 0; h < heads; h++ {
			aOff = append(aOff, bi*seq*hidden+h*hd)
			cOff = append(cOff, (bi*heads+h)*seq*seq)
		}
	}
	flop := 2.0 * batch * heads * seq * seq * hd
	for _, t := range benchThreads {
		for _, im := range impls {
			b.Run(fmt.Sprintf("%s/threads=%d", im.name, t), func(b *testing.B) {
				restore, _ := Use(im.name)
				defer restore()
				withThreads(t, func() {
					for b.Loop() {
						SgemmBatch(false, true, seq, seq, hd, 0.125, q, hidden, aOff, k, hidden, aOff, 0, scores, seq, cOff)
					}
					b.ReportMetric(flop*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				})
			})
		}
	}
}

// BenchmarkRowKernels times the BERT-base (batch 8, seq 128) row kernels.
func BenchmarkRowKernels(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 3))
	ffn := randSlice(r, 1024*3072, 3)
	hid := randSlice(r, 1024*768, 3)
	sc := randSlice(r, 96*128*128, 3)
	out := make([]float32, len(ffn))
	g, be := randSlice(r, 768, 1), randSlice(r, 768, 1)
	mean, rstd := make([]float32, 1024), make([]float32, 1024)
	mask := make([]float32, 128)
	for _, im := range impls {
		restore, _ := Use(im.name)
		b.Run("GELU_1024x3072/"+im.name, func(b *testing.B) {
			for b.Loop() {
				GELU(out, ffn)
			}
		})
		b.Run("Softmax_12288x128/"+im.name, func(b *testing.B) {
			for b.Loop() {
				SoftmaxRows(out, sc, 96*128, 128, 0.125, mask)
			}
		})
		b.Run("LayerNorm_1024x768/"+im.name, func(b *testing.B) {
			for b.Loop() {
				LayerNorm(out, mean, rstd, hid, g, be, 1024, 768, 1e-12)
			}
		})
		restore()
	}
}

// BenchmarkSgemmBackward times the two GEMMs of a Linear layer's backward
// on BERT-base shapes (batch 8 × seq 128 rows): dX = dY·W (NN, B packed
// from W's rows) and dW += dYᵀ·X (TN, A packed from dY's columns), with
// the active impl, on 1 and 2 threads.
func BenchmarkSgemmBackward(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 3))
	const rows = 1024
	for _, s := range [][2]int{{768, 768}, {768, 3072}, {3072, 768}} { // in, out
		in, out := s[0], s[1]
		dy, x, w := randSlice(r, rows*out, 1), randSlice(r, rows*in, 1), randSlice(r, out*in, 1)
		dx, dw := make([]float32, rows*in), make([]float32, out*in)
		flop := 2 * float64(rows) * float64(in) * float64(out)
		for _, t := range benchThreads {
			for _, kind := range []string{"dX_NN", "dW_TN"} {
				b.Run(fmt.Sprintf("in%d_out%d/%s/threads=%d", in, out, kind, t), func(b *testing.B) {
					withThreads(t, func() {
						for b.Loop() {
							if kind == "dX_NN" {
								Sgemm(false, false, rows, in, out, 1, dy, out, w, in, 0, dx, in)
							} else {
								Sgemm(true, false, out, in, rows, 1, dy, out, x, in, 1, dw, in)
							}
						}
						b.ReportMetric(flop*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
					})
				})
			}
		}
	}
}
