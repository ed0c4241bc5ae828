package serve

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// metrics is a small hand-written Prometheus registry: counters and
// histograms keyed by label values. Label values are route patterns, status
// codes and model names — never anything from a request body.
type metrics struct {
	mu        sync.Mutex
	requests  map[[2]string]uint64 // (endpoint, code) → count
	latency   map[string]*histogram
	batchSize map[string]*histogram
	tokens    map[string]uint64
	inputs    map[string]uint64
	queue     map[string]func() int

	auditRecords atomic.Uint64
	auditErrors  atomic.Uint64
	ready        atomic.Bool
}

var (
	latencyBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}
	batchBuckets   = []float64{1, 2, 4, 8, 16, 32, 64, 128}
)

type histogram struct {
	bounds []float64
	counts []uint64 // per bucket, not cumulative; the last is +Inf
	sum    float64
	n      uint64
}

func newHistogram(bounds []float64) *histogram {
	return &histogram{bounds: bounds, counts: make([]uint64, len(bounds)+1)}
}

func (h *histogram) observe(v float64) {
	i := sort.SearchFloat64s(h.bounds, v) // first bound >= v: Prometheus buckets are "le"
	h.counts[i]++
	h.sum += v
	h.n++
}

func newMetrics() *metrics {
	return &metrics{
		requests:  map[[2]string]uint64{},
		latency:   map[string]*histogram{},
		batchSize: map[string]*histogram{},
		tokens:    map[string]uint64{},
		inputs:    map[string]uint64{},
		queue:     map[string]func() int{},
	}
}

func (m *metrics) observeRequest(endpoint string, status int, d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests[[2]string{endpoint, strconv.Itoa(status)}]++
	h := m.latency[endpoint]
	if h == nil {
		h = newHistogram(latencyBuckets)
		m.latency[endpoint] = h
	}
	h.observe(d.Seconds())
}

func (m *metrics) observeBatch(model string, size, tokens int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	h := m.batchSize[model]
	if h == nil {
		h = newHistogram(batchBuckets)
		m.batchSize[model] = h
	}
	h.observe(float64(size))
	m.inputs[model] += uint64(size)
	m.tokens[model] += uint64(tokens)
}

func (m *metrics) watchQueue(model string, depth func() int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.queue[model] = depth
}

// write renders the Prometheus text exposition format (version 0.0.4).
func (m *metrics) write(w io.Writer) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }

	p("# HELP medbert_http_requests_total HTTP requests answered, by route and status code.\n# TYPE medbert_http_requests_total counter\n")
	keys := make([][2]string, 0, len(m.requests))
	for k := range m.requests {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i][0] != keys[j][0] {
			return keys[i][0] < keys[j][0]
		}
		return keys[i][1] < keys[j][1]
	})
	for _, k := range keys {
		p("medbert_http_requests_total{endpoint=%s,code=%s} %d\n", quote(k[0]), quote(k[1]), m.requests[k])
	}
	writeHistograms(w, "medbert_http_request_duration_seconds", "Request latency in seconds, by route.", "endpoint", m.latency)
	writeHistograms(w, "medbert_batch_size", "Inputs per forward pass, by model.", "model", m.batchSize)
	p("# HELP medbert_queue_depth Requests waiting for a batch, by model.\n# TYPE medbert_queue_depth gauge\n")
	for _, name := range sortedKeys(m.queue) {
		p("medbert_queue_depth{model=%s} %d\n", quote(name), m.queue[name]())
	}
	p("# HELP medbert_inputs_total Inputs classified, by model.\n# TYPE medbert_inputs_total counter\n")
	for _, name := range sortedKeys(m.inputs) {
		p("medbert_inputs_total{model=%s} %d\n", quote(name), m.inputs[name])
	}
	p("# HELP medbert_tokens_total Tokens processed, by model (0 when the model does not report them).\n# TYPE medbert_tokens_total counter\n")
	for _, name := range sortedKeys(m.tokens) {
		p("medbert_tokens_total{model=%s} %d\n", quote(name), m.tokens[name])
	}
	p("# HELP medbert_audit_records_total Decisions recorded in the audit log.\n# TYPE medbert_audit_records_total counter\nmedbert_audit_records_total %d\n", m.auditRecords.Load())
	p("# HELP medbert_audit_errors_total Decisions the audit log refused (answered 500).\n# TYPE medbert_audit_errors_total counter\nmedbert_audit_errors_total %d\n", m.auditErrors.Load())
	ready := 0
	if m.ready.Load() {
		ready = 1
	}
	p("# HELP medbert_ready 1 when every model is loaded and warmed.\n# TYPE medbert_ready gauge\nmedbert_ready %d\n", ready)
}

func writeHistograms(w io.Writer, name, help, label string, hs map[string]*histogram) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name)
	for _, key := range sortedKeys(hs) {
		h := hs[key]
		var cum uint64
		for i, b := range h.bounds {
			cum += h.counts[i]
			fmt.Fprintf(w, "%s_bucket{%s=%s,le=\"%s\"} %d\n", name, label, quote(key), formatFloat(b), cum)
		}
		fmt.Fprintf(w, "%s_bucket{%s=%s,le=\"+Inf\"} %d\n", name, label, quote(key), h.n)
		fmt.Fprintf(w, "%s_sum{%s=%s} %s\n", name, label, quote(key), formatFloat(h.sum))
		fmt.Fprintf(w, "%s_count{%s=%s} %d\n", name, label, quote(key), h.n)
	}
}

func formatFloat(f float64) string {
	if math.IsInf(f, 1) {
		return "+Inf"
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// quote escapes a label value as the exposition format wants.
func quote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
