package cdshooks

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// refuseAll is a transport that never leaves the process: fuzzed
// fhirServer URLs must not be fetched.
type refuseAll struct{}

func (refuseAll) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("no network in tests")
}

// FuzzDecodeHookRequest feeds arbitrary bodies to the request decoder and
// then to the whole hook call (after auth): an error or a request with the
// required fields, never a panic or a 500.
func FuzzDecodeHookRequest(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*-request.json")
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{``, `null`, `[]`, `{}`, `{"hook":1}`, `{"hook":"patient-view","hookInstance":"x","context":{"patientId":"1"},"prefetch":{"notes":{"resourceType":"Bundle","entry":[{"resource":null},{"resource":{"resourceType":"DocumentReference","content":[{"attachment":{"contentType":"text/plain","data":"=="}}]}}]}}}`,
		`{"hook":"h","hookInstance":"x","context":{"patientId":"1"},"prefetch":{"conditions":{"resourceType":"Condition","verificationStatus":{"coding":[null]}}}}`} {
		f.Add([]byte(s))
	}
	svc, err := New(Config{Models: []Model{{Name: "dx", SHA256: testSHA, Labels: testLabels}},
		Score: (&fakeScorer{scores: map[string][]float64{}}).score, PublicURL: testPublic,
		HTTPClient: &http.Client{Transport: refuseAll{}}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, id := range []string{"dx-patient-view", "dx-encounter-discharge"} {
			r := httptest.NewRequest("POST", "/cds-services/"+id, bytes.NewReader(body))
			if _, err := svc.call(r, svc.entries[id]); err != nil {
				var he *httpError
				if !errors.As(err, &he) || he.status >= 500 {
					t.Fatalf("%s: %v", id, err)
				}
			}
		}
		req, err := DecodeHookRequest(body)
		if err != nil {
			return
		}
		if req.Hook == "" || req.HookInstance == "" || req.Context.PatientID == "" {
			t.Fatalf("accepted a request without its required fields: %+v", req)
		}
		for k, raw := range req.Prefetch {
			notes(raw, "prefetch."+k, 20)
			codedLabels(raw, "prefetch."+k)
		}
		resolve(prefetchTemplates[prefetchNotes], req.Context)
	})
}

// FuzzVerifyToken: arbitrary bearer tokens are refused without a panic.
func FuzzVerifyToken(f *testing.F) {
	set, err := ParseJWKS(jwksJSON(f))
	if err != nil {
		f.Fatal(err)
	}
	v := &verifier{issuers: map[string]JWKS{testIssuer: set}, replay: newReplayCache(16)}
	now := time.Unix(1_800_000_000, 0)
	claims := map[string]any{"iss": testIssuer, "aud": testPublic + "/cds-services", "iat": now.Unix(), "exp": now.Unix() + 60, "jti": "1"}
	f.Add(sign(f, "ES384", "ec1", claims, nil))
	f.Add(sign(f, "RS384", "rsa1", claims, nil))
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, token string) {
		v.replay = newReplayCache(16) // the seeds must verify each run
		c, err := v.verify(token, []string{testPublic + "/cds-services"}, now)
		if err == nil && (c.Iss != testIssuer || c.Jti == "") {
			t.Fatalf("accepted claims %+v", c)
		}
	})
}
