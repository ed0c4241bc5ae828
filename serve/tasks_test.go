package serve

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/medbert/medbert/bert"
	"github.com/medbert/medbert/internal/testmodel"
	"github.com/medbert/medbert/pipeline"
)

// TestNERAndQAEndpoints serves the golden tiny model's token-classification
// and QA heads: /ner spans slice the text, /qa answers with a span of the
// context, bad bodies are 400 without echoing them, and each decision is
// audited.
func TestNERAndQAEndpoints(t *testing.T) {
	dir := testmodel.Dir(t)
	load := func(head string) *pipeline.Pipeline {
		p, err := pipeline.Load(dir, pipeline.Options{Head: head})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	aud := &memAuditor{}
	s, err := New(testConfig(), nil, aud, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if ok, err := taskModelFor(s, load(bert.HeadTokenCls), "ner"); !ok || err != nil {
		t.Fatalf("tagger: %v %v", ok, err)
	}
	post := func(path, body string) (int, string) {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest("POST", path, strings.NewReader(body)))
		return rec.Code, rec.Body.String()
	}
	text := "a b  c ! é d"
	code, body := post("/ner", `{"text": "`+text+`"}`)
	if code != 200 {
		t.Fatalf("/ner: %d %s", code, body)
	}
	var nr NERResponse
	if err := json.Unmarshal([]byte(body), &nr); err != nil || nr.Model != "ner" || !nr.ReviewRequired || nr.Entities == nil {
		t.Fatalf("/ner answer %s: %v", body, err)
	}
	runes := []rune(text)
	for _, e := range nr.Entities {
		if e.Start < 0 || e.End > len(runes) || string(runes[e.Start:e.End]) != e.Text {
			t.Errorf("entity %+v does not slice the text", e)
		}
	}
	if code, body = post("/qa", `{"question": "q", "context": "c"}`); code != 404 {
		t.Errorf("/qa without a QA model: %d %s", code, body)
	}
	s.AddAnswerer(PipelineAnswerer(load(bert.HeadQA), "qa"))
	ctx := "a b c d e f g h"
	code, body = post("/qa", `{"question": "x y", "context": "`+ctx+`"}`)
	var qr QAResponse
	if code != 200 || json.Unmarshal([]byte(body), &qr) != nil {
		t.Fatalf("/qa: %d %s", code, body)
	}
	if r := []rune(ctx); !qr.Impossible && (qr.Start < 0 || qr.End > len(r) || string(r[qr.Start:qr.End]) != qr.Answer) {
		t.Errorf("answer %+v is not a span of the context", qr)
	}
	for _, c := range []struct{ path, body, field string }{
		{"/ner", `{"text": "  "}`, "text"},
		{"/ner", `{"text": "x", "Patient John Smith": 1}`, "(unnamed)"},
		{"/qa", `{"question": "", "context": "c"}`, "question"},
		{"/qa", `not json John Smith`, ""},
	} {
		code, body := post(c.path, c.body)
		if code != 400 || strings.Contains(body, "John") || !strings.Contains(body, `"field":"`+c.field+`"`) && c.field != "" {
			t.Errorf("%s %s: %d %s", c.path, c.body, code, body)
		}
	}
	if ds, _ := aud.snapshot(); len(ds) != 2 {
		t.Errorf("%d decisions audited, want 2 (one /ner, one /qa)", len(ds))
	}
}
