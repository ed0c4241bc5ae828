package serve

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Server answers the API over one or more classifiers. It is an
// http.Handler; Serve and ListenAndServe add the listener, TLS and the
// shutdown sequence.
type Server struct {
	cfg     Config
	models  []*modelEntry // in --model order; the first answers /diagnose
	byName  map[string]*modelEntry
	auditor Auditor
	log     *slog.Logger
	metrics *metrics
	tokens  []token // nil: no auth

	mounts    []mount // extra handlers (CDS Hooks, the web page), see Mount
	taggers   []Tagger
	answerers []Answerer

	inflight  sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
	closed    atomic.Bool
}

// mount is one handler served under a path prefix.
type mount struct {
	prefix string
	h      http.Handler
}

// Mount serves h for the paths the API does not route that are prefix or
// start with prefix+"/" (prefix "/" takes every such path). Requests
// reach h with the same access log, metrics, request id and panic
// recovery as the API, but without the bearer-token check: h does its own
// authentication (CDS Hooks checks the EHR's signed JWT; a static page
// needs none). Mount before serving.
func (s *Server) Mount(prefix string, h http.Handler) {
	s.mounts = append(s.mounts, mount{strings.TrimSuffix(prefix, "/"), h})
}

func (s *Server) mounted(path string) (string, http.Handler) {
	for _, m := range s.mounts {
		if m.prefix == "" || path == m.prefix || strings.HasPrefix(path, m.prefix+"/") {
			return m.prefix + "/", m.h
		}
	}
	return "", nil
}

// Score classifies texts with the named model through its micro-batcher,
// for handlers mounted beside the API: the softmax probabilities of each
// text, by label index.
func (s *Server) Score(ctx context.Context, model string, texts []string) ([][]float64, error) {
	e := s.byName[model]
	if e == nil {
		return nil, fmt.Errorf("serve: no model %q", model)
	}
	inputs := make([]Input, len(texts))
	for i, t := range texts {
		inputs[i] = Input{Text: t}
	}
	var out [][]float64
	for lo := 0; lo < len(inputs); lo += s.cfg.MaxBatch {
		rs, err := e.b.submit(ctx, inputs[lo:min(lo+s.cfg.MaxBatch, len(inputs))])
		if err != nil {
			return nil, err
		}
		for _, r := range rs {
			out = append(out, r.Scores)
		}
	}
	return out, nil
}

type modelEntry struct {
	info ModelInfo
	b    *batcher
}

// New builds a Server over models (at least one, with distinct valid
// names). auditor may be nil (no audit trail) and logger nil (no logs).
// Close releases what New starts.
func New(cfg Config, models []Classifier, auditor Auditor, logger *slog.Logger) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}

	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if auditor == nil {
		auditor = nopAuditor{}
	}
	s := &Server{cfg: cfg, byName: map[string]*modelEntry{}, auditor: auditor, log: logger, metrics: newMetrics()}
	for _, m := range models {
		info := m.Info()
		switch {
		case !validName(info.Name):
			return nil, fmt.Errorf("serve: model name %q must match [A-Za-z0-9._-]{1,64}", info.Name)
		case s.byName[info.Name] != nil:
			return nil, fmt.Errorf("serve: model name %q given twice", info.Name)
		case len(info.Labels) == 0:
			return nil, fmt.Errorf("serve: model %s has no labels", info.Name)
		}
		e := &modelEntry{info: info}
		s.models = append(s.models, e)
		s.byName[info.Name] = e
	}
	if cfg.TokenFile != "" {
		toks, err := readTokens(cfg.TokenFile)
		if err != nil {
			return nil, err
		}
		s.tokens = toks
	}
	for i, e := range s.models {
		e.b = newBatcher(models[i], cfg.MaxBatch, cfg.Queue, cfg.BatchWait, s.metrics, logger)
	}
	return s, nil
}

type nopAuditor struct{}

func (nopAuditor) Record(context.Context, Decision) error { return nil }
func (nopAuditor) Close() error                           { return nil }

// Warm runs one tiny input through every model so the first real request
// does not pay for lazy initialisation, then marks the server ready.
func (s *Server) Warm(ctx context.Context) error {
	for _, e := range s.models {
		if _, err := e.b.model.Classify(ctx, []Input{{Text: "warm up"}}); err != nil {
			return fmt.Errorf("serve: warm up %s: %w", e.info.Name, err)
		}
	}
	s.metrics.ready.Store(true)
	return nil
}

// Ready reports whether /readyz answers 200.
func (s *Server) Ready() bool { return s.metrics.ready.Load() }

// Close marks the server not ready, fails queued work, waits for handlers
// still running and closes the auditor (which flushes and syncs). It is
// safe to call more than once.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.metrics.ready.Store(false)
		s.closed.Store(true)
		for _, e := range s.models {
			e.b.stop()
		}
		s.inflight.Wait()
		s.closeErr = s.auditor.Close()
	})
	return s.closeErr
}

// Route is one entry of the route table.
type Route struct {
	Method  string
	Pattern string // "{name}" stands for a model name
	Public  bool   // answered without a bearer token (probes, the API description)
}

// Routes returns the route table; the OpenAPI document and the deployment
// manifests are checked against it.
func Routes() []Route {
	return []Route{
		{http.MethodPost, "/diagnose", false},
		{http.MethodPost, "/v1/models/{name}:predict", false},
		{http.MethodGet, "/v1/models", false},
		{http.MethodGet, "/healthz", true},
		{http.MethodGet, "/readyz", true},
		{http.MethodGet, "/metrics", false},
		{http.MethodGet, "/openapi.json", true},
		{http.MethodPost, "/ner", false},
		{http.MethodPost, "/qa", false},
	}
}

const predictPrefix, predictSuffix = "/v1/models/", ":predict"

// match finds the route for a path and, for a predict route, the model name.
func match(path string) (Route, string, bool) {
	if strings.HasPrefix(path, predictPrefix) && strings.HasSuffix(path, predictSuffix) && len(path) > len(predictPrefix)+len(predictSuffix) {
		return Routes()[1], path[len(predictPrefix) : len(path)-len(predictSuffix)], true
	}
	for _, rt := range Routes() {
		if rt.Pattern == path {
			return rt, "", true
		}
	}
	return Route{}, "", false
}

var requestIDRE = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`)

func requestID(r *http.Request) string {
	if id := r.Header.Get("X-Request-ID"); requestIDRE.MatchString(id) {
		return id
	}
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// statusWriter remembers the status code for the access log and metrics.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}

// ServeHTTP routes, authenticates, recovers panics, logs one access line
// and counts the request. Nothing from the body or the query is logged.
func (s *Server) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	s.inflight.Add(1)
	defer s.inflight.Done()
	start := time.Now()
	id := requestID(r)
	rw.Header().Set("X-Request-ID", id)
	w := &statusWriter{ResponseWriter: rw}
	rt, name, found := match(r.URL.Path)
	endpoint, logPath := "other", "(unmatched)"
	var extra http.Handler
	if found {
		endpoint, logPath = rt.Pattern, rt.Pattern
		if name != "" && s.byName[name] != nil {
			logPath = predictPrefix + name + predictSuffix
		}
	} else if prefix, h := s.mounted(r.URL.Path); h != nil {
		// The prefix, not the path: a path may carry a service id or a
		// file name, never worth a metric label of its own.
		endpoint, logPath, extra = prefix, prefix, h
	}
	defer func() {
		if p := recover(); p != nil {
			// The panic value may hold request data: log its type and stack only.
			s.log.Error("handler panicked", "request_id", id, "panic_type", fmt.Sprintf("%T", p), "stack", string(debug.Stack()))
			if w.status == 0 {
				writeError(w, id, errInternal)
			}
		}
		status := w.status
		if status == 0 {
			status = http.StatusOK
		}
		d := time.Since(start)
		s.metrics.observeRequest(endpoint, status, d)
		s.log.Info("request", "method", logMethod(r.Method), "path", logPath, "status", status,
			"latency_ms", float64(d.Microseconds())/1e3, "request_id", id)
	}()
	switch {
	case extra != nil:
		extra.ServeHTTP(w, r)
	case !found:
		writeError(w, id, errNotFound)
	case r.Method != rt.Method:
		w.Header().Set("Allow", rt.Method)
		writeError(w, id, methodNotAllowed(rt.Method))
	default:
		caller := ""
		if !rt.Public && s.tokens != nil {
			var ok bool
			if caller, ok = authenticate(s.tokens, r); !ok {
				w.Header().Set("WWW-Authenticate", `Bearer realm="medbert"`)
				writeError(w, id, errAuthNeeded)
				return
			}
		}
		if caller == "" && r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
			caller = "cn=" + r.TLS.PeerCertificates[0].Subject.CommonName
		}
		s.dispatch(w, r, rt, name, id, caller, start)
	}
}

func logMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "OTHER"
}

func (s *Server) dispatch(w http.ResponseWriter, r *http.Request, rt Route, name, id, caller string, start time.Time) {
	switch rt.Pattern {
	case "/diagnose":
		if len(s.models) == 0 {
			writeError(w, id, errNoModel)
			return
		}
		s.diagnose(w, r, s.models[0], false, id, caller, start)
	case "/v1/models/{name}:predict":
		e := s.byName[name]
		if e == nil {
			writeError(w, id, errNoModel)
			return
		}
		s.diagnose(w, r, e, true, id, caller, start)
	case "/v1/models":
		resp := ModelsResponse{Models: []ModelDescription{}}
		for i, e := range s.models {
			resp.Models = append(resp.Models, ModelDescription{
				Name: e.info.Name, Task: e.info.Task, Labels: e.info.Labels, SHA256: e.info.SHA256,
				Int8: e.info.Int8, MaxLength: e.info.MaxLength, Default: i == 0,
			})
		}
		writeJSON(w, http.StatusOK, resp)
	case "/ner":
		s.ner(w, r, id, caller, start)
	case "/qa":
		s.qa(w, r, id, caller, start)
	case "/healthz":
		writeJSON(w, http.StatusOK, HealthResponse{Status: "ok"})
	case "/readyz":
		if s.Ready() {
			writeJSON(w, http.StatusOK, HealthResponse{Status: "ready"})
		} else {
			writeJSON(w, http.StatusServiceUnavailable, HealthResponse{Status: "not ready"})
		}
	case "/metrics":
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		s.metrics.write(w)
	case "/openapi.json":
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(openAPI)
	default:
		writeError(w, id, errNotFound)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		// Only the server's own structs are encoded; scores are checked finite.
		panic("serve: encode response: " + err.Error())
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}
