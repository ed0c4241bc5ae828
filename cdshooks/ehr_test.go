package cdshooks

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// A mock EHR: it holds signing keys generated in the test, writes their
// JWKS file, signs CDS Hooks JWTs and calls the Service over loopback.

const (
	testIssuer = "https://ehr.example.org"
	testPublic = "https://cds.example.org"
)

var (
	keysOnce sync.Once
	ecKey    *ecdsa.PrivateKey
	rsaKey   *rsa.PrivateKey
)

func testKeys(t testing.TB) (*ecdsa.PrivateKey, *rsa.PrivateKey) {
	keysOnce.Do(func() {
		var err error
		if ecKey, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader); err != nil {
			panic(err)
		}
		if rsaKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
	})
	return ecKey, rsaKey
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func pad48(n *big.Int) []byte { return n.FillBytes(make([]byte, 48)) }

// jwksJSON is the public JWK Set of the test keys: kid "ec1" and "rsa1".
func jwksJSON(t testing.TB) []byte {
	ec, rs := testKeys(t)
	e := big.NewInt(int64(rs.E)).Bytes()
	doc := map[string]any{"keys": []map[string]string{
		{"kty": "EC", "crv": "P-384", "kid": "ec1", "alg": "ES384", "use": "sig", "x": b64(pad48(ec.X)), "y": b64(pad48(ec.Y))},
		{"kty": "RSA", "kid": "rsa1", "alg": "RS384", "n": b64(rs.N.Bytes()), "e": b64(e)},
	}}
	b, _ := json.Marshal(doc)
	return b
}

func writeJWKS(t testing.TB) string {
	p := filepath.Join(t.TempDir(), "ehr.jwks.json")
	if err := os.WriteFile(p, jwksJSON(t), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// sign makes a compact JWS of claims with header alg/kid, signed by the
// test key that fits alg; "none" leaves the signature empty and "HS256"
// uses secret.
func sign(t testing.TB, alg, kid string, claims map[string]any, secret []byte) string {
	ec, rs := testKeys(t)
	// "ES384-DER" signs under an ES384 header with an ASN.1 DER signature.
	hdr, _ := json.Marshal(map[string]string{"alg": strings.TrimSuffix(alg, "-DER"), "kid": kid, "typ": "JWT"})
	pl, _ := json.Marshal(claims)
	in := b64(hdr) + "." + b64(pl)
	var sig []byte
	switch alg {
	case "ES384":
		h := sha512.Sum384([]byte(in))
		r, s, err := ecdsa.Sign(rand.Reader, ec, h[:])
		if err != nil {
			t.Fatal(err)
		}
		sig = append(pad48(r), pad48(s)...)
	case "ES384-DER":
		h := sha512.Sum384([]byte(in))
		sig, _ = ecdsa.SignASN1(rand.Reader, ec, h[:])
	case "RS384":
		h := sha512.Sum384([]byte(in))
		var err error
		if sig, err = rsa.SignPKCS1v15(rand.Reader, rs, crypto.SHA384, h[:]); err != nil {
			t.Fatal(err)
		}
	case "HS256":
		m := hmac.New(sha256.New, secret)
		m.Write([]byte(in))
		sig = m.Sum(nil)
	}
	return in + "." + b64(sig)
}

// ehr is a mock EHR bound to one Service under test.
type ehr struct {
	t        *testing.T
	srv      *httptest.Server
	svc      *Service
	now      time.Time
	jti      int
	logs     *logBuf
	mu       sync.Mutex // guards audit, written by the handler
	audit    []FeedbackRecord
	auditErr error
	scorer   *fakeScorer
}

type logBuf struct {
	mu    sync.Mutex
	lines []string
}

func (l *logBuf) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// testLabels are the fake model's labels.
var testLabels = []string{"Pneumonia", "Heart failure", "Sepsis", "Asthma"}

const testSHA = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// fakeScorer answers the scores set for a text, and a fixed low vector
// for any other; it counts the texts it was asked to score.
type fakeScorer struct {
	mu     sync.Mutex
	scores map[string][]float64
	calls  int
	texts  int
	err    error
}

func (f *fakeScorer) score(_ context.Context, model string, texts []string) ([][]float64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	f.calls++
	f.texts += len(texts)
	out := make([][]float64, len(texts))
	for i, t := range texts {
		if p, ok := f.scores[t]; ok {
			out[i] = p
		} else {
			out[i] = []float64{0.25, 0.25, 0.25, 0.25}
		}
	}
	return out, nil
}

func (f *fakeScorer) set(text string, p ...float64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.scores[text] = p
}

// newEHR starts the Service (configured by mod) on 127.0.0.1 and returns
// a mock EHR trusted by it.
func newEHR(t *testing.T, mod func(*Config)) *ehr {
	t.Helper()
	set, err := LoadJWKS(writeJWKS(t))
	if err != nil {
		t.Fatal(err)
	}
	e := &ehr{t: t, now: time.Unix(1_800_000_000, 0), logs: &logBuf{},
		scorer: &fakeScorer{scores: map[string][]float64{}}}
	cfg := Config{
		Models:    []Model{{Name: "dx", SHA256: testSHA, Labels: testLabels, Task: "sequence-classification"}},
		Score:     e.scorer.score,
		Issuers:   map[string]JWKS{testIssuer: set},
		PublicURL: testPublic,
		Audit: func(_ context.Context, r FeedbackRecord) error {
			e.mu.Lock()
			defer e.mu.Unlock()
			if e.auditErr != nil {
				return e.auditErr
			}
			e.audit = append(e.audit, r)
			return nil
		},
		Logf:           e.logs.logf,
		Now:            func() time.Time { return e.now },
		AllowedOrigins: []string{"https://ehr-ui.example.org"},
	}
	if mod != nil {
		mod(&cfg)
	}
	if e.svc, err = New(cfg); err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(e.svc)
	t.Cleanup(e.srv.Close)
	return e
}

// audited returns the feedback recorded so far and forgets it.
func (e *ehr) audited() []FeedbackRecord {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := e.audit
	e.audit = nil
	return out
}

// claims returns valid claims for path (relative to /cds-services).
func (e *ehr) claims(path string) map[string]any {
	e.jti++
	return map[string]any{
		"iss": testIssuer, "sub": "ehr-client", "aud": testPublic + "/cds-services" + path,
		"iat": e.now.Unix(), "exp": e.now.Add(5 * time.Minute).Unix(), "jti": fmt.Sprintf("jti-%d", e.jti),
	}
}

// do sends method path body with token ("" = no Authorization) and
// returns the status and body.
func (e *ehr) do(method, path, token string, body []byte) (int, []byte, http.Header) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+"/cds-services"+path, bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	return resp.StatusCode, buf.Bytes(), resp.Header
}

// call signs a valid ES384 token for path and sends body.
func (e *ehr) call(method, path string, body any) (int, []byte) {
	e.t.Helper()
	var b []byte
	if body != nil {
		var err error
		if b, err = json.Marshal(body); err != nil {
			e.t.Fatal(err)
		}
	}
	st, out, _ := e.do(method, path, sign(e.t, "ES384", "ec1", e.claims(path), nil), b)
	return st, out
}

// note is a DocumentReference holding text inline.
func note(id, text string) DocumentReference {
	return DocumentReference{ResourceType: "DocumentReference", ID: id, Status: "current",
		Content: []DocumentReferenceContent{{Attachment: Attachment{ContentType: "text/plain; charset=utf-8",
			Data: base64.StdEncoding.EncodeToString([]byte(text))}}}}
}

// searchset wraps resources in a searchset Bundle.
func searchset(res ...any) json.RawMessage {
	b := Bundle{ResourceType: "Bundle", Type: "searchset"}
	for _, r := range res {
		raw, _ := json.Marshal(r)
		b.Entry = append(b.Entry, BundleEntry{Resource: raw})
	}
	out, _ := json.Marshal(b)
	return out
}

// hookRequest is a patient-view call with the given prefetch.
func hookRequest(hook string, prefetch map[string]json.RawMessage) HookRequest {
	ctx := HookContext{UserID: "Practitioner/7", PatientID: "p-42"}
	if hook == HookEncounterDischarge {
		ctx.EncounterID = "enc-9"
	}
	return HookRequest{Hook: hook, HookInstance: "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea", Context: ctx, Prefetch: prefetch}
}

func decode[T any](t *testing.T, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return v
}
