package cdshooks

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strings"
	"time"
)

// Limits of the bearer JWT check.
const (
	maxTokenBytes    = 16 << 10 // a JWT from an EHR is a few hundred bytes
	clockSkew        = time.Minute
	maxTokenLifetime = time.Hour // bounds how long a jti must be remembered
)

// claims are the registered claims CDS Hooks 2.0 requires of the EHR.
type claims struct {
	Iss string   `json:"iss"`
	Sub string   `json:"sub"`
	Aud audience `json:"aud"`
	Exp *float64 `json:"exp"`
	Iat *float64 `json:"iat"`
	Jti string   `json:"jti"`
}

// audience is a JWT aud: one string or an array of strings (RFC 7519 4.1.3).
type audience []string

func (a *audience) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*a = audience{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return errors.New("aud is neither a string nor an array of strings")
	}
	*a = many
	return nil
}

// verifier checks bearer JWTs against the configured issuers.
type verifier struct {
	issuers map[string]JWKS
	replay  *replayCache
}

// verify returns the token's claims when it is valid for one of auds at
// now. Its error is the reason, for the log only: it never holds the token.
func (v *verifier) verify(token string, auds []string, now time.Time) (claims, error) {
	var c claims
	if len(v.issuers) == 0 {
		return c, errors.New("no issuer configured")
	}
	if len(token) > maxTokenBytes {
		return c, errors.New("token too long")
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return c, errors.New("not a compact JWS")
	}
	var hdr struct {
		Alg  string          `json:"alg"`
		Kid  string          `json:"kid"`
		Typ  string          `json:"typ"`
		Crit json.RawMessage `json:"crit"`
	}
	if err := decodeSegment(parts[0], &hdr); err != nil {
		return c, fmt.Errorf("header: %w", err)
	}
	if hdr.Alg != "ES384" && hdr.Alg != "RS384" {
		return c, fmt.Errorf("alg %q refused (ES384 or RS384 only)", hdr.Alg)
	}
	if hdr.Crit != nil {
		return c, errors.New("crit header not understood")
	}
	if hdr.Typ != "" && !strings.EqualFold(hdr.Typ, "JWT") {
		return c, fmt.Errorf("typ %q is not JWT", hdr.Typ)
	}
	if err := decodeSegment(parts[1], &c); err != nil {
		return c, fmt.Errorf("claims: %w", err)
	}
	keys, ok := v.issuers[c.Iss]
	if !ok {
		return c, errors.New("issuer not in the allow-list")
	}
	key, ok := keys[hdr.Kid]
	if !ok {
		return c, fmt.Errorf("issuer %s has no key with that kid", c.Iss)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return c, errors.New("signature is not base64url")
	}
	if err := verifySignature(key, hdr.Alg, parts[0]+"."+parts[1], sig); err != nil {
		return c, err
	}
	if err := checkClaims(c, auds, now); err != nil {
		return c, err
	}
	if !v.replay.add(c.Iss+"\x00"+c.Jti, unixTime(*c.Exp).Add(clockSkew), now) {
		return c, errors.New("jti replayed (or replay cache full)")
	}
	return c, nil
}

// decodeSegment decodes one unpadded base64url JSON segment.
func decodeSegment(seg string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return errors.New("not base64url")
	}
	d := json.NewDecoder(bytes.NewReader(b))
	if err := d.Decode(v); err != nil {
		return errors.New("malformed JSON")
	}
	if d.More() {
		return errors.New("trailing data")
	}
	return nil
}

func verifySignature(key JWK, alg, signed string, sig []byte) error {
	if key.Alg != "" && key.Alg != alg {
		return fmt.Errorf("key is for %s, token says %s", key.Alg, alg)
	}
	h := sha512.Sum384([]byte(signed))
	switch pub := key.Key.(type) {
	case *ecdsa.PublicKey:
		if alg != "ES384" {
			return fmt.Errorf("EC key cannot verify %s", alg)
		}
		// JWS (RFC 7518 3.4) signs with raw r||s, 48 bytes each on P-384, not DER.
		if len(sig) != 96 {
			return fmt.Errorf("ES384 signature is %d bytes, want 96", len(sig))
		}
		r, s := new(big.Int).SetBytes(sig[:48]), new(big.Int).SetBytes(sig[48:])
		if !ecdsa.Verify(pub, h[:], r, s) {
			return errors.New("bad signature")
		}
	case *rsa.PublicKey:
		if alg != "RS384" {
			return fmt.Errorf("RSA key cannot verify %s", alg)
		}
		if err := rsa.VerifyPKCS1v15(pub, crypto.SHA384, h[:], sig); err != nil {
			return errors.New("bad signature")
		}
	default:
		return errors.New("unsupported key type")
	}
	return nil
}

func checkClaims(c claims, auds []string, now time.Time) error {
	switch {
	case c.Exp == nil || c.Iat == nil || !finite(*c.Exp) || !finite(*c.Iat):
		return errors.New("exp or iat missing")
	case c.Jti == "":
		return errors.New("jti missing")
	case !audMatches(c.Aud, auds):
		return errors.New("aud is not this service's URL")
	}
	exp, iat := unixTime(*c.Exp), unixTime(*c.Iat)
	switch {
	case !now.Before(exp.Add(clockSkew)):
		return errors.New("token expired")
	case iat.After(now.Add(clockSkew)):
		return errors.New("iat in the future")
	case exp.Sub(now) > maxTokenLifetime:
		return fmt.Errorf("exp more than %v ahead", maxTokenLifetime)
	}
	return nil
}

func audMatches(got audience, want []string) bool {
	for _, g := range got {
		for _, w := range want {
			if g == w {
				return true
			}
		}
	}
	return false
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) && math.Abs(f) < 1e15 }

func unixTime(sec float64) time.Time {
	whole, frac := math.Modf(sec)
	return time.Unix(int64(whole), int64(frac*1e9))
}
