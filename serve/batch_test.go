package serve

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// waitFor polls cond for up to 5 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func (ts *testServer) metric(t testing.TB, series string) string {
	t.Helper()
	_, _, body := ts.do(t, "GET", "/metrics", "")
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindSubmatch(body)
	if m == nil {
		return ""
	}
	return string(m[1])
}

func TestQueueFullAnswers503(t *testing.T) {
	f := newFake("dx")
	cfg := testConfig()
	cfg.MaxBatch, cfg.Queue, cfg.BatchWait = 1, 2, 0
	ts := startServer(t, cfg, nil, f)
	gate, entered := f.arm()
	statuses := make(chan int, 3)
	post := func() { statuses <- ts.post("/diagnose", `{"text": "cough"}`) }
	go post()
	<-entered // the first request is in the model; the next two wait in the queue
	go post()
	go post()
	waitFor(t, "queue depth 2", func() bool { return ts.metric(t, `medbert_queue_depth{model="dx"}`) == "2" })
	status, hdr, body := ts.do(t, "POST", "/diagnose", `{"text": "cough"}`)
	if status != http.StatusServiceUnavailable || hdr.Get("Retry-After") != "1" || !strings.Contains(string(body), `"queue_full"`) {
		t.Errorf("full queue: %d Retry-After %q %s", status, hdr.Get("Retry-After"), body)
	}
	close(gate)
	for range 3 {
		if s := <-statuses; s != 200 {
			t.Errorf("queued request answered %d", s)
		}
	}
	if got := ts.metric(t, `medbert_http_requests_total{endpoint="/diagnose",code="503"}`); got != "1" {
		t.Errorf("503s counted %q, want 1", got)
	}
}

func TestDeadlineAnswers504AndCancelsTheForwardPass(t *testing.T) {
	f := newFake("dx")
	cfg := testConfig()
	cfg.MaxBatch, cfg.BatchWait, cfg.Timeout = 1, 0, 150*time.Millisecond
	ts := startServer(t, cfg, nil, f)
	gate, entered := f.arm()
	status, _, body := ts.do(t, "POST", "/diagnose", `{"text": "cough"}`)
	if status != http.StatusGatewayTimeout || !strings.Contains(string(body), `"timeout"`) {
		t.Errorf("%d %s, want 504 timeout", status, body)
	}
	<-entered
	// The gate is still shut: a new request reaches the model only if the
	// expired one's forward pass was abandoned.
	go ts.post("/diagnose", `{"text": "cough"}`)
	select {
	case <-entered:
	case <-time.After(5 * time.Second):
		t.Fatal("the expired request's batch still occupies the model")
	}
	close(gate)
}

// A job whose deadline passes while it waits in the queue never reaches
// the model.
func TestExpiredQueuedWorkIsDropped(t *testing.T) {
	f := newFake("dx")
	b := newBatcher(f, 1, 4, 0, newMetrics(), slog.New(slog.DiscardHandler))
	defer b.stop()
	gate, entered := f.arm()
	resA := make(chan error, 1)
	go func() {
		_, err := b.submit(context.Background(), []Input{{Text: "cough"}})
		resA <- err
	}()
	<-entered
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	if _, err := b.submit(ctx, []Input{{Text: "wheeze"}}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("queued job past its deadline: err %v", err)
	}
	if got := requestError(ctx, ctx.Err()); got != errTimeout {
		t.Errorf("a passed deadline maps to %v, want 504 timeout", got)
	}
	close(gate)
	if err := <-resA; err != nil {
		t.Fatal(err)
	}
	rs, err := b.submit(context.Background(), []Input{{Text: "glucose"}})
	if err != nil || rs[0].Scores[1] < 0.4 {
		t.Fatalf("after: %v %v", rs, err)
	}
	if got := f.batchSizes(); mustJSON(got) != "[1,1]" {
		t.Errorf("Classify calls %v, want [1,1]: the expired job must be dropped", got)
	}
}

func TestClientCancelStopsTheBatch(t *testing.T) {
	f := newFake("dx")
	cfg := testConfig()
	cfg.MaxBatch, cfg.BatchWait = 1, 0
	ts := startServer(t, cfg, nil, f)
	gate, entered := f.arm()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "POST", ts.url+"/diagnose", strings.NewReader(`{"text": "cough"}`))
	errc := make(chan error, 1)
	go func() {
		resp, err := ts.client.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	<-entered
	cancel()
	if err := <-errc; err == nil {
		t.Error("canceled request got an answer")
	}
	// The gate is still shut: a new request reaches the model only if the
	// canceled one's forward pass was abandoned.
	go ts.post("/diagnose", `{"text": "wheeze"}`)
	select {
	case <-entered:
	case <-time.After(5 * time.Second):
		t.Fatal("the canceled request's batch still occupies the model")
	}
	close(gate)
}

func TestBatchesForm(t *testing.T) {
	f := newFake("dx")
	f.delay = 20 * time.Millisecond
	cfg := testConfig()
	cfg.MaxBatch, cfg.BatchWait = 8, 10*time.Millisecond
	ts := startServer(t, cfg, nil, f)
	done := make(chan int, 8)
	for range 8 {
		go func() { done <- ts.post("/diagnose", `{"text": "cough"}`) }()
	}
	for range 8 {
		if s := <-done; s != 200 {
			t.Fatalf("status %d", s)
		}
	}
	sizes := f.batchSizes()[1:] // after warm-up
	total, largest := 0, 0
	for _, n := range sizes {
		total += n
		largest = max(largest, n)
	}
	if total != 8 || largest < 2 || largest > 8 {
		t.Errorf("batch sizes %v: want 8 inputs in batches of at most 8, one of at least 2", sizes)
	}
}

func TestOversizedRequestIsSplitIntoMaxBatchPasses(t *testing.T) {
	f := newFake("dx")
	cfg := testConfig()
	cfg.MaxBatch = 3
	ts := startServer(t, cfg, nil, f)
	texts := []string{"cough", "wheeze", "glucose", "pressure", "cough", "wheeze", "glucose"}
	_, _, body := ts.do(t, "POST", "/diagnose", mustJSON(map[string]any{"texts": texts, "top_k": 1}))
	var got BatchResponse
	decodeInto(t, body, &got)
	want := []string{"pneumonia", "asthma", "diabetes", "hypertension", "pneumonia", "asthma", "diabetes"}
	for i, r := range got.Results {
		if r.Diagnoses[0].Label != want[i] {
			t.Errorf("text %d: %s, want %s", i, r.Diagnoses[0].Label, want[i])
		}
	}
	if sizes := f.batchSizes()[1:]; mustJSON(sizes) != "[3,3,1]" {
		t.Errorf("passes %v, want [3,3,1]", sizes)
	}
}

func TestAuditRecordsEveryDecision(t *testing.T) {
	aud := &memAuditor{}
	ts := startServer(t, testConfig(), aud)
	ts.do(t, "POST", "/diagnose", `{"texts": ["cough", "glucose glucose"]}`, "X-Request-ID", "r-7")
	ds, closed := aud.snapshot()
	if len(ds) != 2 || closed != 0 {
		t.Fatalf("%d decisions, closed %d", len(ds), closed)
	}
	sum := sha256.Sum256([]byte("glucose glucose"))
	ref := newFake("dx").score(Input{Text: "glucose glucose"})
	d := ds[1]
	if d.RequestID != "r-7" || d.Index != 1 || d.Model != "dx" || d.ModelSHA256 != strings.Repeat("ab", 32) ||
		d.TextSHA256 != hex.EncodeToString(sum[:]) || d.Text != "" || mustJSON(d.Scores) != mustJSON(ref.Scores) ||
		len(d.Labels) != 4 || d.Time.IsZero() || d.Latency <= 0 {
		t.Errorf("decision %+v", d)
	}
	if got := ts.metric(t, "medbert_audit_records_total"); got != "2" {
		t.Errorf("audit records metric %q, want 2", got)
	}
	ts.stop(t)
	if _, closed := aud.snapshot(); closed != 1 {
		t.Errorf("auditor closed %d times at shutdown, want 1", closed)
	}
}

func TestAuditIncludeTextAndPairDigest(t *testing.T) {
	aud := &memAuditor{}
	cfg := testConfig()
	cfg.AuditLog, cfg.AuditIncludeText = "unused-by-serve.jsonl", true
	ts := startServer(t, cfg, aud)
	ts.do(t, "POST", "/diagnose", `{"text": "cough", "text_pair": "wheeze"}`)
	ds, _ := aud.snapshot()
	sum := sha256.Sum256([]byte("cough\x00wheeze"))
	if len(ds) != 1 || ds[0].Text != "cough" || ds[0].TextPair != "wheeze" || ds[0].TextSHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("decisions %+v", ds)
	}
}

func TestAuditFailureWithholdsTheAnswer(t *testing.T) {
	aud := &memAuditor{fail: true}
	ts := startServer(t, testConfig(), aud)
	status, _, body := ts.do(t, "POST", "/diagnose", `{"text": "cough"}`)
	if status != 500 || !strings.Contains(string(body), `"audit_failed"`) || strings.Contains(string(body), "pneumonia") {
		t.Errorf("%d %s", status, body)
	}
}

func TestGracefulShutdownFinishesInFlight(t *testing.T) {
	f := newFake("dx")
	aud := &memAuditor{}
	ts := startServer(t, testConfig(), aud, f)
	gate, entered := f.arm()
	statuses := make(chan int, 1)
	go func() { statuses <- ts.post("/diagnose", `{"text": "cough"}`) }()
	<-entered
	ts.cancel()
	addr := strings.TrimPrefix(ts.url, "http://")
	waitFor(t, "the listener to close", func() bool {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err != nil
	})
	if _, closed := aud.snapshot(); closed != 0 {
		t.Fatal("auditor closed before the in-flight request finished")
	}
	close(gate)
	if s := <-statuses; s != 200 {
		t.Errorf("in-flight request answered %d during shutdown, want 200", s)
	}
	ts.stop(t)
	if ds, closed := aud.snapshot(); len(ds) != 1 || closed != 1 {
		t.Errorf("after shutdown: %d decisions, auditor closed %d times; want 1 and 1", len(ds), closed)
	}
}

func TestShutdownIsBounded(t *testing.T) {
	f := newFake("dx")
	cfg := testConfig()
	cfg.ShutdownTimeout = 200 * time.Millisecond
	ts := startServer(t, cfg, nil, f)
	_, entered := f.arm()
	answered := make(chan struct{})
	go func() {
		defer close(answered)
		// Any answer or a closed connection will do; it must not hang.
		resp, err := ts.client.Post(ts.url+"/diagnose", "application/json", strings.NewReader(`{"text": "cough"}`))
		if err == nil {
			resp.Body.Close()
		}
	}()
	<-entered
	start := time.Now()
	ts.stop(t) // the gate never opens
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("shutdown took %v with a 200ms bound", d)
	}
	<-answered
}

// blockingAuditor holds every Record until release is closed.
type blockingAuditor struct {
	memAuditor
	recording chan struct{}
	release   chan struct{}
}

func (a *blockingAuditor) Record(ctx context.Context, d Decision) error {
	a.recording <- struct{}{}
	<-a.release
	return a.memAuditor.Record(ctx, d)
}

// TestAnswerWaitsForTheAuditRecord: with a strict auditor, no answer may
// leave before its decision is recorded.
func TestAnswerWaitsForTheAuditRecord(t *testing.T) {
	aud := &blockingAuditor{recording: make(chan struct{}, 1), release: make(chan struct{})}
	ts := startServer(t, testConfig(), aud)
	answered := make(chan int, 1)
	go func() { answered <- ts.post("/diagnose", `{"text": "cough"}`) }()
	<-aud.recording
	select {
	case s := <-answered:
		t.Fatalf("answered %d while the audit record was still being written", s)
	case <-time.After(50 * time.Millisecond):
	}
	close(aud.release)
	if s := <-answered; s != 200 {
		t.Errorf("status %d", s)
	}
	if ds, _ := aud.snapshot(); len(ds) != 1 {
		t.Errorf("%d decisions recorded", len(ds))
	}
}
