package webui_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unicode"

	"github.com/medbert/medbert/internal/browsertest"
	"github.com/medbert/medbert/webui"
)

// fakeWord is one word of a note with its code-point span.
type fakeWord struct {
	Word       string  `json:"word"`
	Start, End int     `json:"-"`
	Score      float64 `json:"score"`
}

// plantedScores are the attributions the fake server gives; every other
// word gets a small score. "troponin" is the top word.
var plantedScores = map[string]float64{
	"troponin": 0.9, "elevation": 0.55, "chest": 0.4, "pain": 0.35, "crushing": 0.3,
	"fever": -0.45, "cough": -0.3, "denies": -0.2,
}

// words splits text into runs of letters and digits with code-point
// offsets, scored by plantedScores.
func words(text string) []fakeWord {
	var out []fakeWord
	start := -1
	runes := []rune(text)
	for i := 0; i <= len(runes); i++ {
		in := i < len(runes) && (unicode.IsLetter(runes[i]) || unicode.IsDigit(runes[i]))
		switch {
		case in && start < 0:
			start = i
		case !in && start >= 0:
			w := string(runes[start:i])
			s, ok := plantedScores[strings.ToLower(w)]
			if !ok {
				s = 0.02 * float64(len(out)%5-2)
			}
			out = append(out, fakeWord{Word: w, Start: start, End: i, Score: s})
			start = -1
		}
	}
	return out
}

// diagnoseRequest is what the page must send.
type diagnoseRequest struct {
	Text    string `json:"text"`
	TopK    int    `json:"top_k"`
	Explain bool   `json:"explain"`
	Model   string `json:"model"`
}

// fakeServer is medbert serve as far as the page can tell: the page at /
// and a /diagnose that answers the documented contract. It logs every
// request and the decoded /diagnose bodies.
type fakeServer struct {
	*httptest.Server
	mu       sync.Mutex
	log      []string
	requests []diagnoseRequest
	// prefill, when set, is put in the note box of the page (so ?demo=1
	// submits it instead of the demo note); set once, before any request.
	prefill string
}

const sha = "3f5a9c0d1e2b4a6978c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f60718293a4b5c6d"

func newFakeServer(t *testing.T, cfg webui.Config, prefill string) *fakeServer {
	f := &fakeServer{prefill: prefill}
	ui := webui.Handler(cfg)
	mux := http.NewServeMux()
	mux.Handle("/", ui)
	mux.HandleFunc("POST /diagnose", f.diagnose)
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.log = append(f.log, r.Method+" "+r.URL.Path)
		f.mu.Unlock()
		if r.URL.Path == "/" && f.prefill != "" {
			rec := httptest.NewRecorder()
			ui.ServeHTTP(rec, r)
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.Header().Del("Content-Length")
			page := strings.Replace(rec.Body.String(), "></textarea>", ">"+html.EscapeString(f.prefill)+"</textarea>", 1)
			io.WriteString(w, page)
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeServer) diagnose(w http.ResponseWriter, r *http.Request) {
	var req diagnoseRequest
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	err := dec.Decode(&req)
	f.mu.Lock()
	f.requests = append(f.requests, req)
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if err != nil || r.Header.Get("Content-Type") != "application/json" {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"error":{"code":"bad_request","message":"bad request","field":""},"request_id":"req-bad"}`)
		return
	}
	if strings.Contains(req.Text, "TOO-LONG") {
		w.WriteHeader(http.StatusRequestEntityTooLarge)
		io.WriteString(w, `{"error":{"code":"text_too_long","message":"The note is longer than 100000 characters.","field":"text"},"request_id":"req-413"}`)
		return
	}
	ws := words(req.Text)
	type jw struct {
		Word  string  `json:"word"`
		Start int     `json:"start"`
		End   int     `json:"end"`
		Score float64 `json:"score"`
	}
	var expl []jw
	for _, x := range ws {
		expl = append(expl, jw{x.Word, x.Start, x.End, x.Score})
	}
	resp := map[string]any{
		"diagnoses": []map[string]any{
			{"label": "Acute myocardial infarction", "score": 0.82},
			{"label": "Unstable angina", "score": 0.11},
			{"label": "Pulmonary embolism", "score": 0.04},
			{"label": "Aortic dissection", "score": 0.02},
			{"label": "Pericarditis", "score": 0.01},
		}[:req.TopK],
		"truncated": true, "model": "cardio-bert", "model_sha256": sha, "request_id": "req-0001",
		"review_required": true, "disclaimer": "Decision support only — a qualified clinician must review every result.",
		"explanation": map[string]any{"label": "Acute myocardial infarction", "method": "ig", "logit": 2.1, "baseline_logit": -0.4, "words": expl},
	}
	json.NewEncoder(w).Encode(resp)
}

func (f *fakeServer) take() (log []string, reqs []diagnoseRequest) {
	f.mu.Lock()
	defer f.mu.Unlock()
	log, reqs = f.log, f.requests
	f.log, f.requests = nil, nil
	return
}

// checkRequests asserts the page asked its server only for what it needs,
// posted one note to /diagnose, and reached no other origin.
func checkRequests(t *testing.T, f *fakeServer, p *browsertest.Page, wantText string) {
	t.Helper()
	log, reqs := f.take()
	allowed := []string{"GET /", "GET /ui/app.js", "GET /ui/app.css", "GET /ui/icon.svg", "POST /diagnose"}
	posts := 0
	for _, l := range log {
		if !slices.Contains(allowed, l) {
			t.Errorf("the page asked for %q", l)
		}
		if l == "POST /diagnose" {
			posts++
		}
	}
	if posts != 1 || len(reqs) != 1 {
		t.Fatalf("the page posted %d times (%d decoded), want once; log %v", posts, len(reqs), log)
	}
	want := diagnoseRequest{Text: wantText, TopK: 5, Explain: true}
	if reqs[0] != want {
		t.Errorf("the page posted %+v, want %+v", reqs[0], want)
	}
	if c := p.CrossOrigin(); len(c) > 0 {
		t.Errorf("the page reached other origins: %+v", c)
	}
	// The browser's own account of the requests agrees (so the check
	// above is not vacuous).
	seen := false
	for _, r := range p.Requests {
		seen = seen || (r.Method == "POST" && r.URL == f.URL+"/diagnose")
	}
	if !seen {
		t.Errorf("chromium's net log lacks POST /diagnose: %+v", p.Requests)
	}
}

var markRE = regexp.MustCompile(`<mark class="hl (for|against)" data-score="(-?[0-9.]+)"[^>]*>([^<]*)</mark>`)

// checkHighlights asserts the page highlighted exactly the words the
// server scored, with the right text at the code-point offsets, and that
// the top word is the planted one.
func checkHighlights(t *testing.T, dom, text string) {
	t.Helper()
	marks := markRE.FindAllStringSubmatch(dom, -1)
	want := words(text)
	if len(marks) != len(want) {
		t.Fatalf("%d highlighted words, want %d", len(marks), len(want))
	}
	top, topScore := "", -1.0
	for i, m := range marks {
		s, _ := strconv.ParseFloat(m[2], 64)
		dir := "for"
		if want[i].Score < 0 {
			dir = "against"
		}
		if m[3] != want[i].Word || m[1] != dir || fmt.Sprintf("%.4f", want[i].Score) != m[2] {
			t.Errorf("highlight %d: %s %q (%s), want %s %q (%.4f)", i, m[1], m[3], m[2], dir, want[i].Word, want[i].Score)
		}
		if s > topScore {
			top, topScore = m[3], s
		}
	}
	if !strings.EqualFold(top, "troponin") {
		t.Errorf("top highlighted word %q, want Troponin", top)
	}
}

func TestPageRendersDemoRoundTrip(t *testing.T) {
	b := browsertest.New(t)
	f := newFakeServer(t, webui.Config{Title: "medbert — cardiology", CardURL: "/card/MODEL_CARD.md", Models: []string{"cardio-bert"}}, "")
	ctx := context.Background()

	p, err := b.DumpDOM(ctx, f.URL+"/?demo=1")
	if err != nil {
		t.Fatal(err)
	}
	checkRequests(t, f, p, webui.DemoNote)
	dom := p.DOM
	checkHighlights(t, dom, webui.DemoNote)
	if !regexp.MustCompile(`<mark class="hl for"[^>]*>Troponin</mark>`).MatchString(dom) {
		t.Error("Troponin is not highlighted as a word for the diagnosis")
	}
	for _, s := range []string{
		`<p class="banner" id="banner" role="note"><strong>` + webui.Banner + `.</strong>`,
		`<span class="label">Acute myocardial infarction</span><span class="score">82%</span>`,
		`<div class="fill" style="width: 82%;"></div>`,
		`<p id="truncated" class="warning"><strong>The note was truncated:</strong>`,
		`<dd id="model-name">cardio-bert</dd>`, `>` + sha[:12] + `</code>`, `<code id="request-id">req-0001</code>`,
		`<a href="/card/MODEL_CARD.md" id="card-link"`, `<td>Troponin</td><td>for</td><td>+0.900</td>`,
		`<span id="method">integrated gradients</span>`, `<p id="status" class="status" role="status" aria-live="polite">Done.</p>`,
	} {
		if !strings.Contains(dom, s) {
			t.Errorf("DOM lacks %s", s)
		}
	}
	if strings.Contains(dom, `<div id="error" class="error" role="alert">`) {
		t.Error("the error box is shown after a good answer")
	}

	p, err = b.Screenshot(ctx, f.URL+"/?demo=1", 1280, 1000)
	if err != nil {
		t.Fatal(err)
	}
	checkRequests(t, f, p, webui.DemoNote)
	s, err := browsertest.CheckNotBlank(p.PNG)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %d colours, %.1f%% inked", s.Colors, 100*s.Inked)
	if dir := os.Getenv("MEDBERT_SCREENSHOT_DIR"); dir != "" {
		os.WriteFile(filepath.Join(dir, "webui.png"), p.PNG, 0o644)
	}
}

// Offsets are code points: a note with characters outside the Basic
// Multilingual Plane (two UTF-16 units each in JavaScript) before the top
// word must still be highlighted word for word.
func TestPageHighlightsByCodePoints(t *testing.T) {
	b := browsertest.New(t)
	note := "Patient message: \"chest hurts 😣😣 since 𝟐 days\" — Troponin raised, naïve to statins."
	f := newFakeServer(t, webui.Config{}, note)
	p, err := b.DumpDOM(context.Background(), f.URL+"/?demo=1")
	if err != nil {
		t.Fatal(err)
	}
	checkRequests(t, f, p, note)
	checkHighlights(t, p.DOM, note)
}

func TestPageShowsServerError(t *testing.T) {
	b := browsertest.New(t)
	f := newFakeServer(t, webui.Config{Models: []string{"a", "b"}}, "TOO-LONG note")
	p, err := b.DumpDOM(context.Background(), f.URL+"/?demo=1")
	if err != nil {
		t.Fatal(err)
	}
	_, reqs := f.take()
	if len(reqs) != 1 || reqs[0].Model != "a" {
		t.Fatalf("posted %+v, want one request naming model a", reqs)
	}
	want := `<div id="error" class="error" role="alert">The note is longer than 100000 characters. (field: text)<div class="help">Request req-413</div></div>`
	if !strings.Contains(p.DOM, want) {
		t.Errorf("DOM lacks the server's error message %s", want)
	}
	if strings.Contains(p.DOM, "<mark") || strings.Contains(p.DOM, `<dl id="meta" class="meta">`) {
		t.Error("results are shown after an error")
	}
}
