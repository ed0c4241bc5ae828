package serve

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/medbert/medbert/audit"
	"github.com/medbert/medbert/pipeline"
)

// TestCDSHooksMounted serves the tiny classifier with CDS Hooks mounted:
// an EHR with a signed ES384 token gets discovery, a patient-view card
// scored by the real model through the micro-batcher, and its feedback
// lands in the audit log; a call without a token is refused.
func TestCDSHooksMounted(t *testing.T) {
	dir := t.TempDir()
	_, token := testEHR(t, dir)
	p := tinyPipeline(t)
	m, err := PipelineModel(p, "dx")
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.AuditLog = filepath.Join(dir, "audit.jsonl")
	cfg.CDSIssuers = []string{"https://ehr.example=" + filepath.Join(dir, "ehr.json")}
	w, aud, err := openAudit(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(cfg, []Classifier{m}, aud, nil)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	defer ts.Close()
	cfg.PublicURL = ts.URL
	cds, err := cdsService(cfg, s, w)
	if err != nil {
		t.Fatal(err)
	}
	s.Mount("/cds-services", cds)
	do := func(method, path, tok string, body any) (int, []byte) {
		var rd *bytes.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		} else {
			rd = bytes.NewReader(nil)
		}
		req, _ := http.NewRequest(method, ts.URL+path, rd)
		req.Header.Set("Content-Type", "application/json")
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var buf bytes.Buffer
		buf.ReadFrom(resp.Body)
		return resp.StatusCode, buf.Bytes()
	}
	if code, _ := do("GET", "/cds-services", "", nil); code != 401 {
		t.Errorf("discovery without a token: %d, want 401", code)
	}
	code, body := do("GET", "/cds-services", token(ts.URL+"/cds-services"), nil)
	if code != 200 || !strings.Contains(string(body), `"dx-patient-view"`) {
		t.Fatalf("discovery: %d %s", code, body)
	}
	note := map[string]any{"resourceType": "DocumentReference", "id": "n1", "status": "current",
		"content": []any{map[string]any{"attachment": map[string]any{"contentType": "text/plain", "data": base64.StdEncoding.EncodeToString([]byte("a b c ! d"))}}}}
	req := map[string]any{"hook": "patient-view", "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
		"context":  map[string]any{"userId": "Practitioner/1", "patientId": "p1"},
		"prefetch": map[string]any{"notes": map[string]any{"resourceType": "Bundle", "type": "searchset", "entry": []any{map[string]any{"resource": note}}}}}
	code, body = do("POST", "/cds-services/dx-patient-view", token(ts.URL+"/cds-services/dx-patient-view"), req)
	if code != 200 {
		t.Fatalf("patient-view: %d %s", code, body)
	}
	var resp struct {
		Cards []struct {
			UUID    string `json:"uuid"`
			Summary string `json:"summary"`
		} `json:"cards"`
	}
	if err := json.Unmarshal(body, &resp); err != nil || len(resp.Cards) == 0 {
		t.Fatalf("cards: %v %s", err, body)
	}
	want, err := p.Classify(t.Context(), []pipeline.Input{{Text: "a b c ! d"}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(resp.Cards[0].Summary, want[0].Label) {
		t.Errorf("card summary %q does not name the model's top label %s", resp.Cards[0].Summary, want[0].Label)
	}
	fb := map[string]any{"feedback": []any{map[string]any{"card": resp.Cards[0].UUID, "outcome": "overridden",
		"overrideReason":   map[string]any{"reason": map[string]any{"code": "not-relevant", "system": "http://example.org/reasons"}, "userComment": "Pt John Doe"},
		"outcomeTimestamp": time.Now().UTC().Format(time.RFC3339)}}}
	if code, body = do("POST", "/cds-services/dx-patient-view/feedback", token(ts.URL+"/cds-services/dx-patient-view/feedback"), fb); code != 200 {
		t.Fatalf("feedback: %d %s", code, body)
	}
	ts.Close()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	log, _ := os.ReadFile(cfg.AuditLog)
	if !strings.Contains(string(log), `"kind":"feedback"`) || !strings.Contains(string(log), resp.Cards[0].UUID) {
		t.Errorf("feedback not in the audit log:\n%s", log)
	}
	if strings.Contains(string(log), "John Doe") {
		t.Error("the clinician's free-text comment reached the audit log")
	}
	f, _ := os.Open(cfg.AuditLog)
	defer f.Close()
	if _, err := audit.Verify(f, nil); err != nil {
		t.Errorf("audit log does not verify: %v", err)
	}
}

// testEHR makes an EHR signing key, writes its JWK Set to dir/ehr.json
// (issuer https://ehr.example) and returns a function minting a fresh
// ES384 token for an audience.
func testEHR(tb testing.TB, dir string) (*ecdsa.PrivateKey, func(aud string) string) {
	key, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	b64 := base64.RawURLEncoding.EncodeToString
	pad := func(n *big.Int) []byte { return n.FillBytes(make([]byte, 48)) }
	jwks, _ := json.Marshal(map[string]any{"keys": []map[string]string{{"kty": "EC", "crv": "P-384", "kid": "k1", "alg": "ES384",
		"x": b64(pad(key.X)), "y": b64(pad(key.Y))}}})
	if err := os.WriteFile(filepath.Join(dir, "ehr.json"), jwks, 0o600); err != nil {
		tb.Fatal(err)
	}
	var n int
	return key, func(aud string) string {
		n++
		hdr, _ := json.Marshal(map[string]string{"alg": "ES384", "kid": "k1", "typ": "JWT"})
		now := time.Now().Unix()
		pl, _ := json.Marshal(map[string]any{"iss": "https://ehr.example", "aud": aud, "iat": now, "exp": now + 300, "jti": fmt.Sprint(now, "-", n)})
		in := b64(hdr) + "." + b64(pl)
		h := sha512.Sum384([]byte(in))
		r, sg, err := ecdsa.Sign(rand.Reader, key, h[:])
		if err != nil {
			tb.Fatal(err)
		}
		return in + "." + b64(append(pad(r), pad(sg)...))
	}
}

// BenchmarkCDSPatientView20Notes times a patient-view call with 20 notes
// of about 120 tokens through the whole server (JWT check, prefetch
// decoding, 20 notes scored through the micro-batcher, cards), on the
// model folder MEDBERT_BENCH_MODEL names (or the tiny golden model): cold
// (every note new) and warm (the same chart reopened: cached scores).
func BenchmarkCDSPatientView20Notes(b *testing.B) {
	dir := b.TempDir()
	_, token := testEHR(b, dir)
	var p *pipeline.Pipeline
	if d := os.Getenv("MEDBERT_BENCH_MODEL"); d != "" {
		var err error
		if p, err = pipeline.Load(d, pipeline.Options{MaxLength: 128}); err != nil {
			b.Fatal(err)
		}
	} else {
		p = tinyPipeline(b)
	}
	m, err := PipelineModel(p, "dx")
	if err != nil {
		b.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.CDSIssuers = []string{"https://ehr.example=" + filepath.Join(dir, "ehr.json")}
	s, err := New(cfg, []Classifier{m}, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ts := httptest.NewServer(s)
	defer ts.Close()
	cfg.PublicURL = ts.URL
	if err := s.mountExtras(cfg, nil); err != nil {
		b.Fatal(err)
	}
	body := func(round int) []byte {
		var entries []any
		for i := range 20 {
			text := strings.Repeat(fmt.Sprintf("Note %d/%d: 58 year old with productive cough, fever and wheeze; chest x-ray shows consolidation. ", round, i), 6)
			doc := map[string]any{"resourceType": "DocumentReference", "id": fmt.Sprint("n", i), "status": "current",
				"content": []any{map[string]any{"attachment": map[string]any{"contentType": "text/plain", "data": base64.StdEncoding.EncodeToString([]byte(text))}}}}
			entries = append(entries, map[string]any{"resource": doc})
		}
		req := map[string]any{"hook": "patient-view", "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
			"context":  map[string]any{"userId": "Practitioner/1", "patientId": "p1"},
			"prefetch": map[string]any{"notes": map[string]any{"resourceType": "Bundle", "type": "searchset", "entry": entries}}}
		out, _ := json.Marshal(req)
		return out
	}
	call := func(payload []byte) time.Duration {
		req, _ := http.NewRequest("POST", ts.URL+"/cds-services/dx-patient-view", bytes.NewReader(payload))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token(ts.URL+"/cds-services/dx-patient-view"))
		t0 := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("status %d", resp.StatusCode)
		}
		return time.Since(t0)
	}
	for _, warm := range []bool{false, true} {
		b.Run(map[bool]string{false: "cold", true: "warm"}[warm], func(b *testing.B) {
			var lat []time.Duration
			fixed := body(-1)
			call(fixed)
			round := 0
			for b.Loop() {
				payload := fixed
				if !warm {
					round++
					payload = body(round)
				}
				lat = append(lat, call(payload))
			}
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1e3, "p50_ms")
			b.ReportMetric(float64(lat[min(len(lat)-1, len(lat)*99/100)].Microseconds())/1e3, "p99_ms")
		})
	}
}
