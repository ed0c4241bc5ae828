package cdshooks

import (
	"crypto/elliptic"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Every auth failure is a 401 with the same generic body; the reason is
// logged, the token never.
func TestAuthFailuresAre401(t *testing.T) {
	e := newEHR(t, nil)
	const path = "/dx-patient-view"
	body, _ := json.Marshal(hookRequest(HookPatientView, map[string]json.RawMessage{"notes": json.RawMessage("null")}))
	with := func(edit func(map[string]any)) map[string]any {
		c := e.claims(path)
		edit(c)
		return c
	}
	replayed := sign(t, "ES384", "ec1", e.claims(path), nil)
	if st, b, _ := e.do("POST", path, replayed, body); st != 200 {
		t.Fatalf("first use of a token: %d %s", st, b)
	}
	valid := sign(t, "ES384", "ec1", e.claims(path), nil)
	parts := strings.Split(valid, ".")
	tampered := parts[0] + "." + b64([]byte(`{"iss":"`+testIssuer+`","aud":"x"}`)) + "." + parts[2]
	noneHdr := b64([]byte(`{"alg":"none","typ":"JWT"}`))
	ec, _ := testKeys(t)
	// The classic confusion attack: HMAC keyed with the public key bytes.
	pubBytes := elliptic.MarshalCompressed(elliptic.P384(), ec.X, ec.Y)

	cases := []struct {
		name, token, reason string
	}{
		{"no token", "", "no bearer token"},
		{"garbage", "abc.def", "not a compact JWS"},
		{"wrong aud", sign(t, "ES384", "ec1", with(func(c map[string]any) { c["aud"] = testPublic + "/cds-services/dx-encounter-discharge" }), nil), "aud"},
		{"aud with trailing slash", sign(t, "ES384", "ec1", with(func(c map[string]any) { c["aud"] = testPublic + "/cds-services/dx-patient-view/" }), nil), "aud"},
		{"aud of another host", sign(t, "ES384", "ec1", with(func(c map[string]any) { c["aud"] = "https://evil.example.org/cds-services/dx-patient-view" }), nil), "aud"},
		{"expired", sign(t, "ES384", "ec1", with(func(c map[string]any) { c["exp"] = e.now.Add(-2 * time.Minute).Unix() }), nil), "expired"},
		{"iat in the future", sign(t, "ES384", "ec1", with(func(c map[string]any) { c["iat"] = e.now.Add(5 * time.Minute).Unix() }), nil), "iat in the future"},
		{"lifetime too long", sign(t, "ES384", "ec1", with(func(c map[string]any) { c["exp"] = e.now.Add(48 * time.Hour).Unix() }), nil), "ahead"},
		{"no exp", sign(t, "ES384", "ec1", with(func(c map[string]any) { delete(c, "exp") }), nil), "exp or iat missing"},
		{"no jti", sign(t, "ES384", "ec1", with(func(c map[string]any) { delete(c, "jti") }), nil), "jti missing"},
		{"replayed jti", replayed, "replayed"},
		{"alg none", noneHdr + "." + parts[1] + ".", `alg "none" refused`},
		{"HS256 with the public key", sign(t, "HS256", "ec1", e.claims(path), pubBytes), `alg "HS256" refused`},
		{"unknown kid", sign(t, "ES384", "ec9", e.claims(path), nil), "no key with that kid"},
		{"unknown issuer", sign(t, "ES384", "ec1", with(func(c map[string]any) { c["iss"] = "https://other.example.org" }), nil), "issuer not in the allow-list"},
		{"tampered claims", tampered, "bad signature"},
		{"DER signature", sign(t, "ES384-DER", "ec1", e.claims(path), nil), "want 96"},
		{"RS384 token naming the EC key", sign(t, "RS384", "ec1", e.claims(path), nil), "key is for ES384"},
	}
	for _, tc := range cases {
		st, b, h := e.do("POST", path, tc.token, body)
		if st != 401 || strings.TrimSpace(string(b)) != `{"error":"unauthorized"}` || h.Get("WWW-Authenticate") != "Bearer" {
			t.Errorf("%s: %d %s", tc.name, st, b)
		}
		logs := e.logs.String()
		if last := e.logs.lines[len(e.logs.lines)-1]; !strings.Contains(last, tc.reason) {
			t.Errorf("%s: log %q lacks %q", tc.name, last, tc.reason)
		}
		if tc.token != "" && strings.Contains(logs, tc.token) {
			t.Errorf("%s: the token is in the log", tc.name)
		}
	}
	if st, _, _ := e.do("POST", path, valid, body); st != 200 {
		t.Errorf("a valid token after the failures: %d", st)
	}
}

func TestAuthAcceptsRS384AndFeedbackAud(t *testing.T) {
	e := newEHR(t, nil)
	body, _ := json.Marshal(hookRequest(HookPatientView, map[string]json.RawMessage{"notes": json.RawMessage("null")}))
	if st, b, _ := e.do("POST", "/dx-patient-view", sign(t, "RS384", "rsa1", e.claims("/dx-patient-view"), nil), body); st != 200 {
		t.Errorf("RS384: %d %s", st, b)
	}
	// aud as an array holding the service URL.
	c := e.claims("/dx-patient-view")
	c["aud"] = []string{"https://elsewhere.example.org", testPublic + "/cds-services/dx-patient-view"}
	if st, b, _ := e.do("POST", "/dx-patient-view", sign(t, "ES384", "ec1", c, nil), body); st != 200 {
		t.Errorf("aud array: %d %s", st, b)
	}
	// Feedback accepts the service URL (the specification's aud) or its own.
	fb := []byte(`{"feedback":[{"card":"9368d37b-7d2b-4ac5-8b4b-23e8a3cd9d8b","outcome":"overridden","outcomeTimestamp":"2027-01-15T08:00:00Z"}]}`)
	for _, aud := range []string{"/dx-patient-view", "/dx-patient-view/feedback"} {
		if st, b, _ := e.do("POST", "/dx-patient-view/feedback", sign(t, "ES384", "ec1", e.claims(aud), nil), fb); st != 200 {
			t.Errorf("feedback with aud %s: %d %s", aud, st, b)
		}
	}
	// Another service's URL is not enough.
	if st, _, _ := e.do("POST", "/dx-patient-view/feedback", sign(t, "ES384", "ec1", e.claims("/dx-encounter-discharge"), nil), fb); st != 401 {
		t.Errorf("feedback with another service's aud: %d", st)
	}
}

func TestNoIssuerRefusesEverything(t *testing.T) {
	e := newEHR(t, func(c *Config) { c.Issuers = nil })
	for _, p := range []string{"", "/dx-patient-view", "/dx-patient-view/feedback"} {
		method := "POST"
		if p == "" {
			method = "GET"
		}
		if st, b := e.call(method, p, nil); st != 401 {
			t.Errorf("%s %s: %d %s", method, p, st, b)
		}
	}
	if !strings.Contains(e.logs.String(), "no issuer configured") {
		t.Errorf("log: %s", e.logs.String())
	}
}

func TestReplayCacheIsBounded(t *testing.T) {
	now := time.Unix(1000, 0)
	c := newReplayCache(2)
	if !c.add("a", now.Add(time.Minute), now) || !c.add("b", now.Add(2*time.Minute), now) {
		t.Fatal("fresh keys refused")
	}
	if c.add("a", now.Add(time.Minute), now) {
		t.Error("replay accepted")
	}
	if c.add("c", now.Add(time.Minute), now) {
		t.Error("a full cache of live tokens accepted one more (it must fail closed)")
	}
	later := now.Add(90 * time.Second) // a has expired, b has not
	if !c.add("c", later.Add(time.Minute), later) {
		t.Error("expired entry not freed")
	}
	if c.add("b", later.Add(time.Minute), later) {
		t.Error("b forgotten before it expired")
	}
}

func TestLoadJWKS(t *testing.T) {
	set, err := LoadJWKS(writeJWKS(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(set) != 2 || set["ec1"].Alg != "ES384" || set["rsa1"].Alg != "RS384" {
		t.Errorf("set %+v", set)
	}
	ec, _ := testKeys(t)
	x, y := b64(pad48(ec.X)), b64(pad48(ec.Y))
	// A point off the curve: y+1.
	yb := pad48(ec.Y)
	yb[47] ^= 1
	good := `{"kty":"EC","crv":"P-384","kid":"a","x":"` + x + `","y":"` + y + `"}`
	// Keys for other algorithms, as vendors publish them beside the
	// CDS Hooks key, are skipped.
	mixed := `{"keys":[{"kty":"EC","crv":"P-256","kid":"old","x":"AAAA","y":"AAAA"},{"kty":"RSA","kid":"rs256","alg":"RS256","n":"AAAA","e":"AQAB"},` +
		`{"kty":"RSA","kid":"e","use":"enc","n":"AAAA","e":"AQAB"},{"kty":"OKP","crv":"Ed25519","kid":"ed","x":"AAAA"},` + good + `]}`
	if set, err := ParseJWKS([]byte(mixed)); err != nil || len(set) != 1 || set["a"].Key == nil {
		t.Errorf("mixed set: %v %v", set, err)
	}
	bad := map[string]string{
		"only p256": `{"keys":[{"kty":"EC","crv":"P-256","kid":"a","x":"` + x + `","y":"` + y + `"}]}`,
		"secret":    `{"keys":[{"kty":"oct","kid":"h","k":"c2VjcmV0"},` + good + `]}`,
		"off curve": `{"keys":[{"kty":"EC","crv":"P-384","kid":"a","x":"` + x + `","y":"` + b64(yb) + `"}]}`,
		"short x":   `{"keys":[{"kty":"EC","crv":"P-384","kid":"a","x":"AAAA","y":"` + y + `"}]}`,
		"private":   `{"keys":[{"kty":"EC","crv":"P-384","kid":"a","x":"` + x + `","y":"` + y + `","d":"AAAA"}]}`,
		"no kid":    `{"keys":[{"kty":"EC","crv":"P-384","x":"` + x + `","y":"` + y + `"}]}`,
		"dup kid":   `{"keys":[{"kty":"EC","crv":"P-384","kid":"a","x":"` + x + `","y":"` + y + `"},{"kty":"EC","crv":"P-384","kid":"a","x":"` + x + `","y":"` + y + `"}]}`,
		"short RSA": `{"keys":[{"kty":"RSA","kid":"r","n":"` + b64(make([]byte, 128)) + `","e":"AQAB"}]}`,
		"empty":     `{"keys":[]}`,
		"not JSON":  `keys`,
	}
	dir := t.TempDir()
	for name, doc := range bad {
		p := filepath.Join(dir, "k.json")
		os.WriteFile(p, []byte(doc), 0o600)
		if _, err := LoadJWKS(p); err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: err %v (must name the file)", name, err)
		}
	}
	if _, err := base64.RawURLEncoding.DecodeString(x); err != nil {
		t.Fatal(err)
	}
}

// The specification's own example (CDS Hooks 2.0, "Trusting CDS Clients"):
// its ES384 JWT verifies with its JWKS, at a time within the token's
// validity, for its aud; and not for another service.
func TestSpecificationExampleJWT(t *testing.T) {
	set, err := LoadJWKS("testdata/spec-example.jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := os.ReadFile("testdata/spec-example.jwt")
	if err != nil {
		t.Fatal(err)
	}
	v := &verifier{issuers: map[string]JWKS{"https://fhir-ehr.example.com/": set}, replay: newReplayCache(8)}
	now := time.Unix(1422568860-600, 0) // 10 minutes before its exp
	aud := "https://cds.example.org/cds-services/some-service"
	c, err := v.verify(strings.TrimSpace(string(tok)), []string{aud}, now)
	if err != nil {
		t.Fatalf("the specification's example token: %v", err)
	}
	if c.Sub != "client_id" || c.Jti != "ee22b021-e1b7-4611-ba5b-8eec6a33ac1e" {
		t.Errorf("claims %+v", c)
	}
	v.replay = newReplayCache(8)
	if _, err := v.verify(strings.TrimSpace(string(tok)), []string{"https://cds.example.org/cds-services/other"}, now); err == nil {
		t.Error("accepted for another service")
	}
}
