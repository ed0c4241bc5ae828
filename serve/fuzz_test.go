package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

// decodeMessages are every message a request body can provoke, digits
// written as N: error messages are fixed text, never request content.
var decodeMessages = map[string]bool{
	"malformed JSON at byte N":                                   true,
	"malformed JSON":                                             true,
	"malformed JSON: data after the object":                      true,
	"malformed JSON: the body ends early":                        true,
	"the body must be a JSON object":                             true,
	"must not be empty":                                          true,
	"text (a string) or texts (an array of strings) is required": true,
	"goes with text; use text_pairs with texts":                  true,
	"must not be empty when given":                               true,
	"goes with texts; use text_pair with text":                   true,
	"must hold as many entries as texts (N), got N":              true,
	"give text or texts, not both":                               true,
	"must hold N to N texts, got N":                              true,
	"must be >= N":                                               true,
	"must be a string":                                           true,
	"must be an array of strings":                                true,
	"must be an integer":                                         true,
	"field given twice":                                          true,
	"unknown field; the fields are text, text_pair, texts, text_pairs, top_k, explain and model": true,
	"no model with this name; see GET /v1/models":                                                true,
	"names another model than the URL":                                                           true,
	"must be true or false":                                                                      true,
	"goes with text: explain one note at a time":                                                 true,
	"the request body exceeds the limit":                                                         true,
}

var (
	digits     = regexp.MustCompile(`[0-9]+`)
	knownField = regexp.MustCompile(`^(|text|text_pair|texts|text_pairs|top_k|explain|model|\(unnamed\)|texts\[[0-9]+\]|text_pairs\[[0-9]+\])$`)
)

func seedBodies() []string {
	return []string{
		`{"text": "cough and wheeze since monday"}`,
		`{"text": "cough", "top_k": 2}`,
		`{"text": "cough", "text_pair": "wheeze"}`,
		`{"texts": ["cough", "glucose"], "top_k": 1}`,
		`{"texts": ["a", "b"], "text_pairs": ["c", "d"]}`,
		`{"texts": ["a", 1]}`, `{"texts": [null]}`, `{"text": null}`, `{"text": ""}`,
		`{"text": "a", "texts": ["b"]}`, `{"top_k": -1, "text": "a"}`, `{"top_k": 1e400, "text": "a"}`,
		`{"top_k": 2.5, "text": "a"}`, `{"TEXT": "a"}`, `{"text": "a", "text": "b"}`, `{"Jane Doe": 1}`,
		`{"text": "a"} trailing`, `{"text": "\ud800"}`, "{\"text\": \"\xff\xfe\"}", `[]`, `"text"`, `null`, ``,
		`{`, `{"text"`, `{"text": "a",}`, `{"texts": []}`, `{"texts": {}}`, `{"text": {"nested": [1, 2]}}`,
		`{"text": "PANIC"}`, `{"text": "` + strings.Repeat("cough ", 40) + `"}`,
	}
}

// FuzzDecodeDiagnose sends arbitrary bodies through the whole handler: it
// must never panic or answer 500, a success must be well-formed, and an
// error must name a real field and use a fixed message.
func FuzzDecodeDiagnose(f *testing.F) {
	for _, s := range seedBodies() {
		f.Add([]byte(s))
	}
	model := newFake("dx")
	cfg := testConfig()
	cfg.MaxTexts, cfg.MaxBody = 8, 4096
	srv, err := New(cfg, []Classifier{panicFreeModel{model}}, nil, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { srv.Close() })
	f.Fuzz(func(t *testing.T, body []byte) {
		if _, bad := decodeDiagnose(bytes.NewReader(body), cfg.MaxTexts); bad != nil && bad.status != 400 {
			t.Fatalf("decode error with status %d", bad.status)
		}
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, httptest.NewRequest("POST", "/diagnose", bytes.NewReader(body)))
		switch rec.Code {
		case http.StatusOK:
			var one DiagnoseResponse
			var many BatchResponse
			if decodeStrict(bytes.NewReader(rec.Body.Bytes()), &one) != nil && decodeStrict(bytes.NewReader(rec.Body.Bytes()), &many) != nil {
				t.Fatalf("200 with a body that is neither response: %s", rec.Body)
			}
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
			var e ErrorResponse
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil {
				t.Fatalf("error body %s: %v", rec.Body, err)
			}
			if !decodeMessages[digits.ReplaceAllString(e.Error.Message, "N")] {
				t.Fatalf("message %q is not a fixed message", e.Error.Message)
			}
			if !knownField.MatchString(e.Error.Field) && !bytes.Contains(body, []byte(`"`+e.Error.Field+`"`)) {
				t.Fatalf("field %q is neither an API field nor a key of the body", e.Error.Field)
			}
		default:
			t.Fatalf("status %d for body %q: %s", rec.Code, body, rec.Body)
		}
	})
}

// panicFreeModel hides the fake's test panic: a 500 from it is intended
// elsewhere, not a decoding failure.
type panicFreeModel struct{ *fakeModel }

func (m panicFreeModel) Classify(ctx context.Context, in []Input) ([]Result, error) {
	out := make([]Result, len(in))
	for i, x := range in {
		out[i] = m.score(x)
	}
	return out, nil
}

func TestDecodeBodyLimitWithoutContentLength(t *testing.T) {
	rec := httptest.NewRecorder()
	body := http.MaxBytesReader(rec, io.NopCloser(strings.NewReader(`{"text": "`+strings.Repeat("x", 5000)+`"}`)), 4096)
	if _, bad := decodeDiagnose(body, 8); bad != errTooLarge {
		t.Errorf("a streamed body over the limit: %v, want 413", bad)
	}
}
