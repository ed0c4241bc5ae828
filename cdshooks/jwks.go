package cdshooks

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os"
)

// JWKS is one issuer's verification keys by kid. Air-gapped sites have no
// JWKS URL, so keys come from a file (LoadJWKS).
type JWKS map[string]JWK

// JWK is one public key: *ecdsa.PublicKey on P-384 or *rsa.PublicKey, and
// the alg it is restricted to ("" = whichever of ES384/RS384 fits its type).
type JWK struct {
	Key crypto.PublicKey
	Alg string
}

// minRSABits refuses RSA keys too short to trust.
const minRSABits = 2048

// jwkJSON is the RFC 7517 form of a key.
type jwkJSON struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Alg string `json:"alg"`
	Use string `json:"use"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
	N   string `json:"n"`
	E   string `json:"e"`
	D   string `json:"d"`
	K   string `json:"k"`
}

// LoadJWKS reads a JWK Set file ({"keys": [...]}) and keeps its EC P-384
// and RSA signing keys, each with a distinct kid. Keys of other kinds
// (P-256, RS256, encryption keys, symmetric keys), which EHR vendors
// publish beside their CDS Hooks key, are skipped; a malformed key, a
// private key or a set with no usable key is an error.
func LoadJWKS(path string) (JWKS, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cdshooks: jwks: %w", err)
	}
	set, err := ParseJWKS(b)
	if err != nil {
		return nil, fmt.Errorf("cdshooks: jwks %s: %w", path, err)
	}
	return set, nil
}

// ParseJWKS parses a JWK Set document.
func ParseJWKS(b []byte) (JWKS, error) {
	var doc struct {
		Keys []jwkJSON `json:"keys"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("not a JWK Set: %w", err)
	}
	if len(doc.Keys) == 0 {
		return nil, errors.New("no keys")
	}
	set := JWKS{}
	for i, k := range doc.Keys {
		if k.D != "" || k.K != "" {
			return nil, fmt.Errorf("keys[%d]: holds private or secret key material (d or k): give public keys only", i)
		}
		if !usable(k) {
			continue
		}
		key, err := k.publicKey()
		if err != nil {
			return nil, fmt.Errorf("keys[%d]: %w", i, err)
		}
		if k.Kid == "" {
			return nil, fmt.Errorf("keys[%d]: no kid", i)
		}
		if _, dup := set[k.Kid]; dup {
			return nil, fmt.Errorf("keys[%d]: kid %q given twice", i, k.Kid)
		}
		set[k.Kid] = JWK{Key: key, Alg: k.Alg}
	}
	if len(set) == 0 {
		return nil, errors.New("no ES384 (EC P-384) or RS384 (RSA) signing key")
	}
	return set, nil
}

// usable reports whether k is meant for ES384 or RS384 signatures.
func usable(k jwkJSON) bool {
	if k.Use != "" && k.Use != "sig" {
		return false
	}
	switch k.Kty {
	case "EC":
		return k.Crv == "P-384" && (k.Alg == "" || k.Alg == "ES384")
	case "RSA":
		return k.Alg == "" || k.Alg == "RS384"
	}
	return false
}

// publicKey decodes a usable key.
func (k jwkJSON) publicKey() (crypto.PublicKey, error) {
	switch k.Kty {
	case "EC":
		x, err := b64Field("x", k.X, 48)
		if err != nil {
			return nil, err
		}
		y, err := b64Field("y", k.Y, 48)
		if err != nil {
			return nil, err
		}
		// ParseUncompressedPublicKey checks the point is on the curve.
		pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P384(), append(append([]byte{4}, x...), y...))
		if err != nil {
			return nil, fmt.Errorf("x, y: %w", err)
		}
		return pub, nil
	case "RSA":
		n, err := b64Field("n", k.N, 0)
		if err != nil {
			return nil, err
		}
		e, err := b64Field("e", k.E, 0)
		if err != nil {
			return nil, err
		}
		if len(e) > 4 {
			return nil, errors.New("e: too large")
		}
		pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
		if pub.N.BitLen() < minRSABits {
			return nil, fmt.Errorf("n: %d-bit RSA key, need at least %d", pub.N.BitLen(), minRSABits)
		}
		if pub.E < 3 || pub.E%2 == 0 {
			return nil, errors.New("e: not a valid RSA exponent")
		}
		return pub, nil
	}
	return nil, fmt.Errorf("kty %q: want EC or RSA", k.Kty)
}

// b64Field decodes an unpadded base64url member; want > 0 demands that
// many bytes.
func b64Field(name, s string, want int) ([]byte, error) {
	if s == "" {
		return nil, fmt.Errorf("%s: missing", name)
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%s: not base64url: %w", name, err)
	}
	if want > 0 && len(b) != want {
		return nil, fmt.Errorf("%s: %d bytes, want %d", name, len(b), want)
	}
	return b, nil
}
