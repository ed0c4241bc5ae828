package serve

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// mixedText builds a deterministic note of 1 to 60 words (some past the
// fake model's 32-word limit) from keywords and filler.
func mixedText(r *rand.Rand) string {
	words := []string{"wheeze", "glucose", "pressure", "cough", "patient", "denies", "fever", "mild", "since", "monday"}
	n := 1 + r.IntN(60)
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(words[r.IntN(len(words))])
	}
	return b.String()
}

// TestConcurrentClients: 64 clients × 50 requests over loopback are all
// answered exactly as the model answers each text alone, requests share
// forward passes, a burst past the queue gets 503s, and no goroutine is
// left behind.
func TestConcurrentClients(t *testing.T) {
	const clients, perClient = 64, 50
	before := runtime.NumGoroutine()
	f := newFake("dx")
	f.delay = time.Millisecond
	cfg := testConfig()
	cfg.MaxBatch, cfg.Queue, cfg.BatchWait = 16, 128, 2*time.Millisecond
	ts := startServer(t, cfg, nil, f)
	ts.client.Transport = &http.Transport{MaxIdleConnsPerHost: clients}

	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(c), 7))
			for i := range perClient {
				if err := checkOne(ts, f, r, c, i); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	total, _ := strconv.Atoi(ts.metric(t, `medbert_http_requests_total{endpoint="/diagnose",code="200"}`))
	if total != clients*perClient {
		t.Errorf("metrics count %d answered /diagnose requests, want %d", total, clients*perClient)
	}
	ones, _ := strconv.Atoi(ts.metric(t, `medbert_batch_size_bucket{model="dx",le="1"}`))
	passes, _ := strconv.Atoi(ts.metric(t, `medbert_batch_size_count{model="dx"}`))
	if passes == 0 || ones == passes {
		t.Errorf("no forward pass held more than one input (%d passes, %d of size 1)", passes, ones)
	}
	t.Logf("%d requests in %d forward passes (%d of size 1) in %v", clients*perClient, passes, ones, time.Since(start))

	ts.stop(t)
	ts.client.Transport.(*http.Transport).CloseIdleConnections()

	cfg.Queue = 4
	burst := startServer(t, cfg, nil, f)
	burstPastTheQueue(t, burst, f, cfg.MaxBatch, cfg.Queue)
	burst.stop(t)
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if after := runtime.NumGoroutine(); after > before {
		buf := make([]byte, 1<<16)
		t.Errorf("goroutines: %d before, %d after shutdown\n%s", before, after, buf[:runtime.Stack(buf, true)])
	}
}

// checkOne sends one request (every fifth a list of three texts) and
// compares the answer with the model run on each text alone.
func checkOne(ts *testServer, f *fakeModel, r *rand.Rand, c, i int) error {
	n := 1
	if i%5 == 4 {
		n = 3
	}
	texts := make([]string, n)
	for k := range texts {
		texts[k] = mixedText(r)
	}
	body := mustJSON(map[string]any{"text": texts[0], "top_k": 4})
	if n > 1 {
		body = mustJSON(map[string]any{"texts": texts, "top_k": 4})
	}
	resp, err := ts.client.Post(ts.url+"/diagnose", "application/json", strings.NewReader(body))
	if err != nil {
		return fmt.Errorf("client %d request %d: %v", c, i, err)
	}
	defer resp.Body.Close()
	var got []TextResult
	if n == 1 {
		var one DiagnoseResponse
		err = decodeStrict(resp.Body, &one)
		got = []TextResult{{Diagnoses: one.Diagnoses, Truncated: one.Truncated}}
	} else {
		var many BatchResponse
		err = decodeStrict(resp.Body, &many)
		got = many.Results
	}
	if err != nil || resp.StatusCode != 200 || len(got) != n {
		return fmt.Errorf("client %d request %d: status %d, %d results, %v", c, i, resp.StatusCode, len(got), err)
	}
	for k, text := range texts {
		ref := f.score(Input{Text: text})
		want := TextResult{Diagnoses: top(f.labels, ref.Scores, 4), Truncated: ref.Truncated}
		if mustJSON(got[k]) != mustJSON(want) {
			return fmt.Errorf("client %d request %d text %d: got %s, want %s", c, i, k, mustJSON(got[k]), mustJSON(want))
		}
	}
	return nil
}

// burstPastTheQueue holds the model at a gate, fires 64 requests at once
// with a queue of `queue` requests, and checks that all but a forward pass
// and the queue's worth are refused with 503, the rest answered once the
// gate opens.
func burstPastTheQueue(t *testing.T, ts *testServer, f *fakeModel, maxBatch, queue int) {
	t.Helper()
	gate, _ := f.arm()
	statuses := make(chan int, 64)
	for range 64 {
		go func() { statuses <- ts.post("/diagnose", `{"text": "cough"}`) }()
	}
	counts := map[int]int{}
	// At most one pass in the model, one held job and a full queue wait.
	for range 64 - maxBatch - 1 - queue {
		counts[<-statuses]++
	}
	close(gate)
	for range maxBatch + 1 + queue {
		counts[<-statuses]++
	}
	if counts[200]+counts[503] != 64 || counts[503] < 64-maxBatch-1-queue || counts[200] < 1 {
		t.Errorf("burst of 64 past a queue of %d: %v", queue, counts)
	}
}
