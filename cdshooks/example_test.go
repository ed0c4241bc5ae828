package cdshooks_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/medbert/medbert/cdshooks"
)

// An EHR signs each call with its ES384 key; the service trusts that key
// through the issuer's JWKS and lists one service per model and hook.
func ExampleNew() {
	key, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	b64 := base64.RawURLEncoding.EncodeToString
	jwks, _ := cdshooks.ParseJWKS([]byte(fmt.Sprintf(`{"keys":[{"kty":"EC","crv":"P-384","kid":"ehr-1","alg":"ES384","x":%q,"y":%q}]}`,
		b64(key.X.FillBytes(make([]byte, 48))), b64(key.Y.FillBytes(make([]byte, 48))))))

	svc, err := cdshooks.New(cdshooks.Config{
		Models: []cdshooks.Model{{Name: "dx", SHA256: "9f86d081884c7d65", Labels: []string{"Pneumonia", "Sepsis"}}},
		Score: func(ctx context.Context, model string, texts []string) ([][]float64, error) {
			return nil, fmt.Errorf("not called by discovery")
		},
		Issuers:   map[string]cdshooks.JWKS{"https://ehr.example.org": jwks},
		PublicURL: "https://cds.example.org",
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	// The EHR's side: a JWT whose aud is the URL it calls.
	hdr, _ := json.Marshal(map[string]string{"alg": "ES384", "kid": "ehr-1", "typ": "JWT"})
	claims, _ := json.Marshal(map[string]any{"iss": "https://ehr.example.org", "aud": "https://cds.example.org/cds-services",
		"iat": time.Now().Unix(), "exp": time.Now().Add(5 * time.Minute).Unix(), "jti": "a7c1e0b2"})
	signed := b64(hdr) + "." + b64(claims)
	h := sha512.Sum384([]byte(signed))
	r, s, _ := ecdsa.Sign(rand.Reader, key, h[:])
	token := signed + "." + b64(append(r.FillBytes(make([]byte, 48)), s.FillBytes(make([]byte, 48))...))

	req := httptest.NewRequest("GET", "/cds-services", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	svc.ServeHTTP(rec, req)
	var d cdshooks.Discovery
	json.Unmarshal(rec.Body.Bytes(), &d)
	fmt.Println(rec.Code)
	for _, s := range d.Services {
		fmt.Println(s.Hook, s.ID)
	}

	// The same token again is a replay.
	rec = httptest.NewRecorder()
	svc.ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Body.String())
	// Output:
	// 200
	// patient-view dx-patient-view
	// encounter-discharge dx-encounter-discharge
	// 401 {"error":"unauthorized"}
}

func ExampleLoadJWKS() {
	keys, err := cdshooks.LoadJWKS("testdata/spec-example.jwks.json")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(keys), keys["example-kid"].Alg)
	// Output: 1 ES384
}
