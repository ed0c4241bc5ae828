package serve

import (
	"context"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/medbert/medbert/pipeline"
)

// benchClassifier is the model the load benchmarks serve: the model
// folder named by MEDBERT_BENCH_MODEL (fp32 or int8, e.g. a bert-base
// made with medbert init), else a fake with a cost per forward pass and
// per input, shaped like a CPU encoder (a fixed part plus a part linear in
// the batch).
func benchClassifier(tb testing.TB) Classifier {
	if dir := os.Getenv("MEDBERT_BENCH_MODEL"); dir != "" {
		p, err := pipeline.Load(dir, pipeline.Options{MaxLength: 128})
		if err != nil {
			tb.Fatal(err)
		}
		m, err := PipelineModel(p, "dx")
		if err != nil {
			tb.Fatal(err)
		}
		return m
	}
	return &costModel{fakeModel: newFake("dx"), perPass: 2 * time.Millisecond, perInput: 250 * time.Microsecond}
}

type costModel struct {
	*fakeModel
	perPass, perInput time.Duration
}

func (m *costModel) Classify(ctx context.Context, in []Input) ([]Result, error) {
	time.Sleep(m.perPass + time.Duration(len(in))*m.perInput)
	out := make([]Result, len(in))
	for i, x := range in {
		out[i] = m.score(x)
	}
	return out, nil
}

const benchNote = `{"text": "58 year old with productive cough and fever for three days, wheeze on exam, glucose normal, blood pressure 130/85, no chest pain", "top_k": 3}`

// BenchmarkServe measures requests/s and latency percentiles over
// loopback HTTP for one client and for 16 concurrent clients, and the
// 16-client throughput as a fraction of running the model offline in
// batches of MaxBatch.
func BenchmarkServe(b *testing.B) {
	for _, clients := range []int{1, 16} {
		name := map[int]string{1: "single", 16: "concurrent16"}[clients]
		b.Run(name, func(b *testing.B) {
			model := benchClassifier(b)
			cfg := testConfig()
			cfg.BatchWait, cfg.MaxBatch = DefaultConfig().BatchWait, DefaultConfig().MaxBatch
			ts := startServer(b, cfg, nil, model)
			ts.client.Transport = &http.Transport{MaxIdleConnsPerHost: clients}
			lat := make([]time.Duration, b.N)
			var next sync.Mutex
			i := 0
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			for range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						next.Lock()
						k := i
						i++
						next.Unlock()
						if k >= b.N {
							return
						}
						t0 := time.Now()
						if s := ts.post("/diagnose", benchNote); s != 200 {
							b.Errorf("status %d", s)
							return
						}
						lat[k] = time.Since(t0)
					}
				}()
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			sort.Slice(lat, func(a, c int) bool { return lat[a] < lat[c] })
			rps := float64(b.N) / elapsed.Seconds()
			b.ReportMetric(rps, "req/s")
			b.ReportMetric(float64(lat[b.N/2].Microseconds())/1e3, "p50_ms")
			b.ReportMetric(float64(lat[min(b.N-1, b.N*99/100)].Microseconds())/1e3, "p99_ms")
			if clients > 1 {
				b.ReportMetric(rps/offlineThroughput(b, model, cfg.MaxBatch), "frac_offline")
			}
		})
	}
}

// offlineThroughput is inputs/s of Classify called directly on full
// batches, with no HTTP and no batching wait.
func offlineThroughput(b *testing.B, m Classifier, batch int) float64 {
	var note DiagnoseRequest
	if req, bad := decodeDiagnose(strings.NewReader(benchNote), 1); bad == nil {
		note = req
	}
	inputs := make([]Input, batch)
	for i := range inputs {
		inputs[i] = Input{Text: *note.Text}
	}
	passes := 20
	if os.Getenv("MEDBERT_BENCH_MODEL") != "" {
		passes = 3 // a real model: seconds per pass
	}
	start := time.Now()
	for range passes {
		if _, err := m.Classify(context.Background(), inputs); err != nil {
			b.Fatal(err)
		}
	}
	return float64(passes*batch) / time.Since(start).Seconds()
}
