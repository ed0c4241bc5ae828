package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a log sink safe for the server's goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// testServer is a Server running on a random loopback port.
type testServer struct {
	url    string
	client *http.Client
	logs   *lockedBuffer
	srv    *Server
	cancel context.CancelFunc
	done   chan error
}

func testConfig() Config {
	cfg := DefaultConfig()
	cfg.Addr = "127.0.0.1:0"
	cfg.BatchWait = 2 * time.Millisecond
	cfg.Timeout = 5 * time.Second
	cfg.ShutdownTimeout = 5 * time.Second
	return cfg
}

func startServer(t testing.TB, cfg Config, auditor Auditor, models ...Classifier) *testServer {
	t.Helper()
	if len(models) == 0 {
		models = []Classifier{newFake("dx")}
	}
	logs := &lockedBuffer{}
	srv, err := New(cfg, models, auditor, slog.New(slog.NewJSONHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ts := &testServer{url: "http://" + ln.Addr().String(), client: &http.Client{Timeout: 20 * time.Second},
		logs: logs, srv: srv, cancel: cancel, done: make(chan error, 1)}
	go func() { ts.done <- srv.Serve(ctx, ln) }()
	deadline := time.Now().Add(5 * time.Second)
	for !srv.Ready() {
		if time.Now().After(deadline) {
			t.Fatal("server not ready after 5s")
		}
		time.Sleep(time.Millisecond)
	}
	t.Cleanup(func() { ts.stop(t) })
	return ts
}

// stop shuts the server down and waits for Serve to return.
func (ts *testServer) stop(t testing.TB) {
	ts.cancel()
	select {
	case err, ok := <-ts.done:
		if ok && err != nil {
			t.Errorf("Serve: %v", err)
		}
		if ok {
			close(ts.done)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return 10s after shutdown began")
	}
	if tr, ok := ts.client.Transport.(*http.Transport); ok {
		tr.CloseIdleConnections()
	} else {
		http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	}
}

// do sends a request and returns the status, headers and body.
func (ts *testServer) do(t testing.TB, method, path, body string, hdr ...string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, ts.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := ts.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

func decodeInto(t testing.TB, b []byte, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// post sends a JSON body from any goroutine; it returns the status, or -1
// when no answer came.
func (ts *testServer) post(path, body string) int {
	resp, err := ts.client.Post(ts.url+path, "application/json", strings.NewReader(body))
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

func decodeStrict(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}
