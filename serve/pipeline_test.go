package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"github.com/medbert/medbert/internal/testmodel"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medbert/medbert/audit"
	"github.com/medbert/medbert/bert"
	"github.com/medbert/medbert/pipeline"
)

// tinyPipeline loads the golden tiny classifier with the first 512
// bert-base-cased tokens as its vocabulary.
func tinyPipeline(t testing.TB) *pipeline.Pipeline {
	t.Helper()
	dir := testmodel.Dir(t)
	p, err := pipeline.Load(dir, pipeline.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestPipelineEndToEnd serves the real tiny model with a strict, signed
// audit log: /diagnose scores equal pipeline.Classify's (what medbert
// predict prints), and every answered decision is in the verified log.
func TestPipelineEndToEnd(t *testing.T) {
	p := tinyPipeline(t)
	m, err := PipelineModel(p, "tiny")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, _, err := audit.GenerateKeyFiles(filepath.Join(dir, "audit")); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.AuditLog, cfg.AuditSync, cfg.AuditSigningKey = filepath.Join(dir, "decisions.jsonl"), "strict", filepath.Join(dir, "audit.key")
	_, aud, err := openAudit(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(cfg, []Classifier{m}, aud, nil)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	texts := []string{"a b c ! d", "x y z", "chest pain and fever"}
	for _, text := range texts {
		// Each request is alone in its batch, as medbert predict with one
		// text: no padding, so the numbers are identical to the bit.
		want, err := p.Classify(context.Background(), []pipeline.Input{{Text: text}})
		if err != nil {
			t.Fatal(err)
		}
		body, _ := json.Marshal(map[string]any{"text": text, "top_k": 3})
		resp, err := http.Post(ts.URL+"/diagnose", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		var got DiagnoseResponse
		err = json.NewDecoder(resp.Body).Decode(&got)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("status %d: %v", resp.StatusCode, err)
		}
		if got.ModelSHA256 != p.ID || len(got.Diagnoses) != 3 || !got.ReviewRequired {
			t.Fatalf("answer %+v", got)
		}
		for _, d := range got.Diagnoses {
			id, _ := p.Labels.ID(d.Label)
			if d.Score != want[0].Scores[id] {
				t.Errorf("%q: %s scored %v by /diagnose, %v by the pipeline", text, d.Label, d.Score, want[0].Scores[id])
			}
		}
	}
	ts.Close()
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	pub, err := audit.LoadPublicKey(filepath.Join(dir, "audit.pub"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(cfg.AuditLog)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rep, err := audit.Verify(f, pub)
	if err != nil {
		t.Fatalf("audit log does not verify: %v", err)
	}
	if rep.Records-rep.Checkpoints != len(texts) || !rep.Signed {
		t.Errorf("audit log: %+v, want %d decisions, signed", rep, len(texts))
	}
	log, _ := os.ReadFile(cfg.AuditLog)
	for _, text := range texts {
		if strings.Contains(string(log), text) {
			t.Errorf("the audit log holds the note text %q without --audit-include-text", text)
		}
	}
}

// TestDiagnoseExplain: "explain": true returns the top diagnosis's
// integrated-gradients attributions (completeness within 2% at the
// default steps on this model), texts in batch are refused, and an int8
// model answers 422.
func TestDiagnoseExplain(t *testing.T) {
	p := tinyPipeline(t)
	m, err := PipelineModel(p, "tiny")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(DefaultConfig(), []Classifier{m}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	post := func(body string) (int, []byte) {
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, httptest.NewRequest("POST", "/diagnose", strings.NewReader(body)))
		return rec.Code, rec.Body.Bytes()
	}
	code, body := post(`{"text": "a b c ! d", "explain": true}`)
	if code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	var got DiagnoseResponse
	if err := json.Unmarshal(body, &got); err != nil || got.Explanation == nil {
		t.Fatalf("no explanation: %v %s", err, body)
	}
	e := got.Explanation
	if e.Label != got.Diagnoses[0].Label || len(e.Words) != 5 || e.Words[4].Word != "d" {
		t.Errorf("explanation %+v for top diagnosis %s", e, got.Diagnoses[0].Label)
	}
	var sum float64
	for _, w := range e.Words {
		sum += w.Score
	}
	if d := e.Logit - e.BaselineLogit; d == 0 || (sum-d)/d > 0.02 || (d-sum)/d > 0.02 {
		t.Errorf("attributions sum to %g, logit − baseline %g", sum, d)
	}
	if code, body = post(`{"texts": ["a b"], "explain": true}`); code != 400 || !strings.Contains(string(body), `"field":"explain"`) {
		t.Errorf("explain with texts: %d %s", code, body)
	}
	if err := p.Model.Quantize(bert.QuantOptions{}); err != nil {
		t.Fatal(err)
	}
	if code, body = post(`{"text": "a b c", "explain": true}`); code != 422 || !strings.Contains(string(body), "explain_unavailable") {
		t.Errorf("explain on an int8 model: %d %s", code, body)
	}
}

// TestMountedPages: beside the API the server shows the clinician page at
// /, the model card of the first model, and nothing else of its folder.
func TestMountedPages(t *testing.T) {
	p := tinyPipeline(t)
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "card_figures"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "MODEL_CARD.md"), []byte("# Model card: tiny\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "card_figures", "roc.svg"), []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`), 0o644)
	os.WriteFile(filepath.Join(dir, "secret.txt"), []byte("weights"), 0o644)
	m, _ := PipelineModel(p, "tiny")
	cfg := DefaultConfig()
	cfg.Models = []ModelSpec{{Name: "tiny", Dir: dir}}
	s, err := New(cfg, []Classifier{m}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.mountExtras(cfg, nil); err != nil {
		t.Fatal(err)
	}
	get := func(path string) (int, string, http.Header) {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		return rec.Code, rec.Body.String(), rec.Header()
	}
	if code, body, h := get("/"); code != 200 || !strings.Contains(body, "/model-card/") || h.Get("Content-Security-Policy") == "" {
		t.Errorf("page: %d, card link %v, CSP %q", code, strings.Contains(body, "/model-card/"), h.Get("Content-Security-Policy"))
	}
	if code, body, _ := get("/model-card/"); code != 200 || !strings.Contains(body, "Model card: tiny") {
		t.Errorf("card: %d %q", code, body)
	}
	if code, _, h := get("/model-card/card_figures/roc.svg"); code != 200 || h.Get("Content-Type") != "image/svg+xml" {
		t.Errorf("chart: %d %q", code, h.Get("Content-Type"))
	}
	for _, bad := range []string{"/model-card/secret.txt", "/model-card/card_figures/../secret.txt", "/model-card/../config.json"} {
		if code, body, _ := get(bad); code == 200 || strings.Contains(body, "weights") {
			t.Errorf("%s served (%d)", bad, code)
		}
	}
	if code, body, _ := get("/healthz"); code != 200 || !strings.Contains(body, "ok") {
		t.Errorf("the API lost /healthz to a mount: %d", code)
	}
}
