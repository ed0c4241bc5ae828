package serve

import (
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDiagnoseSingle(t *testing.T) {
	ts := startServer(t, testConfig(), nil)
	status, hdr, body := ts.do(t, "POST", "/diagnose", `{"text": "wheeze wheeze cough"}`, "X-Request-ID", "req-1")
	if status != http.StatusOK {
		t.Fatalf("status %d: %s", status, body)
	}
	var got DiagnoseResponse
	decodeInto(t, body, &got)
	// logits [2 0 0 1] → softmax (hand-computed); diabetes and hypertension
	// tie and keep label order.
	want := []Diagnosis{{"asthma", 0.6102956854136232}, {"pneumonia", 0.22451523569930606}, {"diabetes", 0.08259453944353537}}
	if len(got.Diagnoses) != 3 {
		t.Fatalf("got %d diagnoses, want 3 (default top_k)", len(got.Diagnoses))
	}
	for i, d := range got.Diagnoses {
		if d.Label != want[i].Label || math.Abs(d.Score-want[i].Score) > 1e-12 {
			t.Errorf("diagnosis %d = %+v, want %+v", i, d, want[i])
		}
	}
	if got.Truncated || got.Model != "dx" || got.ModelSHA256 != strings.Repeat("ab", 32) || got.RequestID != "req-1" ||
		!got.ReviewRequired || got.Disclaimer != Disclaimer || hdr.Get("X-Request-ID") != "req-1" {
		t.Errorf("response fields: %+v, header id %q", got, hdr.Get("X-Request-ID"))
	}
	if ct := hdr.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
}

// want pneumonia > asthma here: logits [1 0 0 2].
func TestDiagnoseTopKAndPair(t *testing.T) {
	ts := startServer(t, testConfig(), nil)
	_, _, body := ts.do(t, "POST", "/diagnose", `{"text": "wheeze", "text_pair": "cough cough", "top_k": 10}`)
	var got DiagnoseResponse
	decodeInto(t, body, &got)
	if len(got.Diagnoses) != 4 || got.Diagnoses[0].Label != "pneumonia" || got.Diagnoses[1].Label != "asthma" {
		t.Fatalf("top_k 10 over 4 labels with a pair: %+v", got.Diagnoses)
	}
	var sum float64
	for _, d := range got.Diagnoses {
		sum += d.Score
	}
	if math.Abs(sum-1) > 1e-12 {
		t.Errorf("all scores sum to %v, want 1", sum)
	}
}

func TestDiagnoseBatchInInputOrder(t *testing.T) {
	ts := startServer(t, testConfig(), nil)
	fake := newFake("dx")
	texts := []string{"glucose", "cough cough", "pressure", strings.Repeat("wheeze ", 40)}
	_, _, body := ts.do(t, "POST", "/diagnose", mustJSON(map[string]any{"texts": texts, "top_k": 1}))
	var got BatchResponse
	decodeInto(t, body, &got)
	if len(got.Results) != len(texts) || !got.ReviewRequired || got.Model != "dx" {
		t.Fatalf("got %+v", got)
	}
	for i, text := range texts {
		ref := fake.score(Input{Text: text})
		want := top(fake.labels, ref.Scores, 1)[0]
		r := got.Results[i]
		if len(r.Diagnoses) != 1 || r.Diagnoses[0] != want || r.Truncated != ref.Truncated {
			t.Errorf("text %d: got %+v, want %+v truncated=%v", i, r, want, ref.Truncated)
		}
	}
	if !got.Results[3].Truncated {
		t.Error("a 40-word text over a 32-word model is not flagged truncated")
	}
}

func TestModelsAndNamedPredict(t *testing.T) {
	a, b := newFake("dx"), newFake("triage-v2")
	b.keywords = []string{"cough", "wheeze", "glucose", "pressure"} // a different model
	ts := startServer(t, testConfig(), nil, a, b)
	_, _, body := ts.do(t, "GET", "/v1/models", "")
	var models ModelsResponse
	decodeInto(t, body, &models)
	if len(models.Models) != 2 || models.Models[0].Name != "dx" || !models.Models[0].Default ||
		models.Models[1].Name != "triage-v2" || models.Models[1].Default || models.Models[1].MaxLength != 32 ||
		len(models.Models[1].Labels) != 4 || models.Models[1].Task != "sequence-classification" {
		t.Fatalf("models: %+v", models)
	}
	_, _, body = ts.do(t, "POST", "/v1/models/triage-v2:predict", `{"text": "cough", "top_k": 1}`)
	var got DiagnoseResponse
	decodeInto(t, body, &got)
	if got.Model != "triage-v2" || got.Diagnoses[0].Label != "asthma" {
		t.Errorf("named model answered %+v, want triage-v2 scoring cough as asthma", got)
	}
	status, _, body := ts.do(t, "POST", "/v1/models/nope:predict", `{"text": "cough"}`)
	if status != http.StatusNotFound || !strings.Contains(string(body), `"model_not_found"`) {
		t.Errorf("unknown model: %d %s", status, body)
	}
}

func TestErrorsNameTheFieldAndNeverEchoText(t *testing.T) {
	cfg := testConfig()
	cfg.MaxTexts = 3
	cfg.MaxBody = 4096
	ts := startServer(t, cfg, nil)
	secret := "Jane Roe MRN 12345 wheeze"
	cases := []struct {
		name, method, path, body string
		status                   int
		code, field              string
	}{
		{"malformed", "POST", "/diagnose", `{"text": "` + secret, 400, "bad_request", ""},
		{"syntax", "POST", "/diagnose", `{"text" "` + secret + `"}`, 400, "bad_request", ""},
		{"empty body", "POST", "/diagnose", ``, 400, "bad_request", ""},
		{"not an object", "POST", "/diagnose", `["` + secret + `"]`, 400, "bad_request", ""},
		{"trailing data", "POST", "/diagnose", `{"text": "wheeze"} {"text": "` + secret + `"}`, 400, "bad_request", ""},
		{"text wrong type", "POST", "/diagnose", `{"text": 42}`, 400, "bad_request", "text"},
		{"texts element wrong type", "POST", "/diagnose", `{"texts": ["` + secret + `", 7]}`, 400, "bad_request", "texts[1]"},
		{"texts not array", "POST", "/diagnose", `{"texts": "` + secret + `"}`, 400, "bad_request", "texts"},
		{"top_k wrong type", "POST", "/diagnose", `{"text": "` + secret + `", "top_k": "3"}`, 400, "bad_request", "top_k"},
		{"top_k zero", "POST", "/diagnose", `{"text": "` + secret + `", "top_k": 0}`, 400, "bad_request", "top_k"},
		{"unknown field", "POST", "/diagnose", `{"text": "` + secret + `", "patient": "x"}`, 400, "bad_request", "patient"},
		{"unknown field named like text", "POST", "/diagnose", `{"` + secret + `": 1}`, 400, "bad_request", "(unnamed)"},
		{"case-folded field", "POST", "/diagnose", `{"TEXT": "` + secret + `"}`, 400, "bad_request", "TEXT"},
		{"duplicate field", "POST", "/diagnose", `{"text": "a", "text": "` + secret + `"}`, 400, "bad_request", "text"},
		{"empty text", "POST", "/diagnose", `{"text": "  \n"}`, 400, "bad_request", "text"},
		{"missing text", "POST", "/diagnose", `{"top_k": 2}`, 400, "bad_request", "text"},
		{"both", "POST", "/diagnose", `{"text": "a", "texts": ["` + secret + `"]}`, 400, "bad_request", "texts"},
		{"empty texts", "POST", "/diagnose", `{"texts": []}`, 400, "bad_request", "texts"},
		{"too many texts", "POST", "/diagnose", `{"texts": ["a","b","c","` + secret + `"]}`, 400, "bad_request", "texts"},
		{"empty texts entry", "POST", "/diagnose", `{"texts": ["` + secret + `", ""]}`, 400, "bad_request", "texts[1]"},
		{"pairs length", "POST", "/diagnose", `{"texts": ["` + secret + `"], "text_pairs": []}`, 400, "bad_request", "text_pairs"},
		{"too large", "POST", "/diagnose", `{"text": "` + strings.Repeat(secret, 400) + `"}`, 413, "body_too_large", ""},
		{"no route", "GET", "/patients/Jane-Roe", "", 404, "not_found", ""},
		{"wrong method", "GET", "/diagnose", "", 405, "method_not_allowed", ""},
		{"wrong method on models", "DELETE", "/v1/models", "", 405, "method_not_allowed", ""},
		{"panic", "POST", "/diagnose", `{"text": "PANIC"}`, 500, "internal", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, hdr, body := ts.do(t, c.method, c.path, c.body, "X-Request-ID", "err-"+strings.ReplaceAll(c.name, " ", "-"))
			var got ErrorResponse
			decodeInto(t, body, &got)
			if status != c.status || got.Error.Code != c.code || got.Error.Field != c.field || got.Error.Message == "" ||
				got.RequestID != hdr.Get("X-Request-ID") {
				t.Errorf("got %d %+v, want %d code %q field %q", status, got, c.status, c.code, c.field)
			}
			if strings.Contains(string(body), "Roe") || strings.Contains(string(body), "12345") {
				t.Errorf("error body echoes request text: %s", body)
			}
			if status == 405 && hdr.Get("Allow") == "" {
				t.Error("405 without an Allow header")
			}
		})
	}
	// The server survived the panic and still answers.
	if status, _, _ := ts.do(t, "POST", "/diagnose", `{"text": "cough"}`); status != 200 {
		t.Errorf("after the errors: status %d", status)
	}
	logs := ts.logs.String()
	for _, leak := range []string{"Roe", "12345", "wheeze", "PANIC"} {
		if strings.Contains(logs, leak) {
			t.Errorf("log contains request text %q:\n%s", leak, logs)
		}
	}
	if !strings.Contains(logs, `"panic_type":"*errors.errorString"`) {
		t.Errorf("the recovered panic is not logged by type:\n%s", logs)
	}
}

func TestRejectLong(t *testing.T) {
	cfg := testConfig()
	cfg.RejectLong = true
	ts := startServer(t, cfg, nil)
	long := strings.Repeat("cough ", 33)
	status, _, body := ts.do(t, "POST", "/diagnose", mustJSON(map[string]any{"texts": []string{"cough", long}}))
	var got ErrorResponse
	decodeInto(t, body, &got)
	if status != http.StatusUnprocessableEntity || got.Error.Code != "text_too_long" || got.Error.Field != "texts[1]" {
		t.Errorf("got %d %+v, want 422 text_too_long texts[1]", status, got)
	}
	if status, _, _ := ts.do(t, "POST", "/diagnose", mustJSON(map[string]any{"text": strings.Repeat("cough ", 32)})); status != 200 {
		t.Errorf("a text of exactly max length: status %d, want 200", status)
	}
}

func TestAuth(t *testing.T) {
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "tokens")
	tok := "s3cret-token-0123456789"
	if err := os.WriteFile(tokenFile, []byte("# callers\nehr-gateway "+tok+"\n\nabcdefabcdefabcdef\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	cfg.TokenFile = tokenFile
	aud := &memAuditor{}
	ts := startServer(t, cfg, aud)
	body := `{"text": "cough"}`
	for _, h := range [][]string{nil, {"Authorization", "Bearer wrong-token-0123456789"}, {"Authorization", "Basic " + tok}, {"Authorization", "Bearer"}} {
		status, hdr, b := ts.do(t, "POST", "/diagnose", body, h...)
		if status != 401 || hdr.Get("WWW-Authenticate") == "" || !strings.Contains(string(b), `"unauthorized"`) {
			t.Errorf("header %v: %d %s", h, status, b)
		}
	}
	for _, path := range []string{"/v1/models", "/metrics"} {
		if status, _, _ := ts.do(t, "GET", path, ""); status != 401 {
			t.Errorf("GET %s without a token: %d, want 401", path, status)
		}
	}
	for _, path := range []string{"/healthz", "/readyz", "/openapi.json"} {
		if status, _, _ := ts.do(t, "GET", path, ""); status != 200 {
			t.Errorf("GET %s (public) without a token: %d, want 200", path, status)
		}
	}
	if status, _, b := ts.do(t, "POST", "/diagnose", body, "Authorization", "Bearer "+tok); status != 200 {
		t.Fatalf("right token: %d %s", status, b)
	}
	if status, _, _ := ts.do(t, "POST", "/diagnose", body, "Authorization", "bearer abcdefabcdefabcdef"); status != 200 {
		t.Fatalf("second token, lower-case scheme: %d", status)
	}
	ds, _ := aud.snapshot()
	if len(ds) != 2 || ds[0].Caller != "ehr-gateway" || ds[1].Caller != "token-4" {
		t.Errorf("audited callers %+v, want ehr-gateway then token-4", ds)
	}
	if logs := ts.logs.String(); strings.Contains(logs, tok) || strings.Contains(logs, "wrong-token") || strings.Contains(logs, "abcdef") {
		t.Errorf("a token reached the log:\n%s", logs)
	}
}

func TestTokenFileErrorsDoNotQuoteTokens(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{"empty": "# nothing\n", "short": "abc\n", "three fields": "a b s3cret-token-0123456789\n"} {
		p := filepath.Join(dir, strings.ReplaceAll(name, " ", "_"))
		os.WriteFile(p, []byte(content), 0o600)
		_, err := readTokens(p)
		if err == nil || strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "abc\n") {
			t.Errorf("%s: err %v", name, err)
		}
	}
}

func TestRequestIDAndAccessLog(t *testing.T) {
	ts := startServer(t, testConfig(), nil)
	_, hdr, _ := ts.do(t, "POST", "/diagnose", `{"text": "cough glucose"}`, "X-Request-ID", "bad id with spaces")
	id := hdr.Get("X-Request-ID")
	if len(id) != 24 || strings.Contains(id, " ") {
		t.Errorf("insane X-Request-ID not replaced: %q", id)
	}
	_, hdr2, _ := ts.do(t, "GET", "/healthz", "")
	if hdr2.Get("X-Request-ID") == id || hdr2.Get("X-Request-ID") == "" {
		t.Error("request ids are not fresh per request")
	}
	logs := ts.logs.String()
	line := fmt.Sprintf(`"method":"POST","path":"/diagnose","status":200,`)
	if !strings.Contains(logs, line) || !strings.Contains(logs, `"request_id":"`+id+`"`) || !strings.Contains(logs, `"latency_ms":`) {
		t.Errorf("access log lacks method/path/status/latency/request id:\n%s", logs)
	}
	if strings.Contains(logs, "glucose") {
		t.Errorf("access log holds the body:\n%s", logs)
	}
}

func TestReadyzBeforeWarm(t *testing.T) {
	srv, err := New(testConfig(), []Classifier{newFake("dx")}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	get := func(path string) int {
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		return rec.Code
	}
	if get("/readyz") != 503 || get("/healthz") != 200 {
		t.Errorf("before warm: readyz %d healthz %d, want 503 200", get("/readyz"), get("/healthz"))
	}
	if err := srv.Warm(t.Context()); err != nil {
		t.Fatal(err)
	}
	if get("/readyz") != 200 {
		t.Errorf("after warm: readyz %d", get("/readyz"))
	}
	srv.Close()
	if get("/readyz") != 503 {
		t.Errorf("after close: readyz %d, want 503", get("/readyz"))
	}
}

func TestNewRefusesBadModels(t *testing.T) {
	bad := newFake("has space")
	if _, err := New(testConfig(), []Classifier{bad}, nil, nil); err == nil {
		t.Error("a model name with a space was accepted")
	}
	if _, err := New(testConfig(), []Classifier{newFake("a"), newFake("a")}, nil, nil); err == nil {
		t.Error("two models named a were accepted")
	}
	// With no classifier (a server of NER or QA models only), /diagnose
	// answers 404.
	s, err := New(testConfig(), nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("POST", "/diagnose", strings.NewReader(`{"text": "x"}`)))
	if rec.Code != 404 || !strings.Contains(rec.Body.String(), "model_not_found") {
		t.Errorf("/diagnose without a classifier: %d %s", rec.Code, rec.Body.String())
	}
}
