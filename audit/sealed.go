package audit

import (
	"bytes"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/medbert/medbert/seal"
)

// A sealed (encrypted) log starts with one plaintext header line naming the
// per-file salt; every following line is the standard base64 of
// seal.RecordSealer.Seal(record line) under the context "audit log", so the
// log stays line-oriented and appendable, and each record is authenticated
// on its own. The hash chain and checkpoints are computed over the
// plaintext lines, exactly as in a plaintext log.

const sealContext = "audit log"

type sealedHeader struct {
	Audit    int    `json:"medbert_audit"`
	Sealed   string `json:"sealed"`
	Salt     string `json:"salt"`
	KeyCheck string `json:"key_check"`
}

var sealedPrefix = []byte(`{"medbert_audit":`)

// isSealedHeader reports whether a first line is a sealed-log header.
func isSealedHeader(line []byte) bool { return bytes.HasPrefix(line, sealedPrefix) }

// newSealedHeader returns the header line (without newline) and its sealer.
func newSealedHeader(key seal.Key) ([]byte, *seal.RecordSealer, error) {
	salt, err := seal.NewSalt()
	if err != nil {
		return nil, nil, err
	}
	s, err := seal.NewRecordSealer(key, salt, sealContext)
	if err != nil {
		return nil, nil, err
	}
	line, err := json.Marshal(sealedHeader{Audit: FormatVersion, Sealed: "aes-256-gcm", Salt: hex.EncodeToString(salt), KeyCheck: hex.EncodeToString(s.KeyCheck())})
	return line, s, err
}

// openSealedHeader parses a header line and derives its sealer from key.
func openSealedHeader(line []byte, key *seal.Key) (*seal.RecordSealer, error) {
	var h sealedHeader
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&h); err != nil {
		return nil, fmt.Errorf("bad sealed-log header: %v", err)
	}
	if again, err := json.Marshal(h); err != nil || !bytes.Equal(again, line) {
		return nil, errors.New("sealed-log header is not in canonical form")
	}
	if h.Audit != FormatVersion || h.Sealed != "aes-256-gcm" {
		return nil, fmt.Errorf("sealed-log header: version %d, cipher %q; this build reads version %d, aes-256-gcm", h.Audit, h.Sealed, FormatVersion)
	}
	if key == nil {
		return nil, errors.New("the log is encrypted: a key file is needed")
	}
	salt, err := hex.DecodeString(h.Salt)
	if err != nil || len(salt) != seal.SaltSize || hex.EncodeToString(salt) != h.Salt {
		return nil, errors.New("sealed-log header: bad salt")
	}
	s, err := seal.NewRecordSealer(*key, salt, sealContext)
	if err != nil {
		return nil, err
	}
	check, err := hex.DecodeString(h.KeyCheck)
	if err != nil || hex.EncodeToString(check) != h.KeyCheck || subtle.ConstantTimeCompare(check, s.KeyCheck()) != 1 {
		return nil, errors.New("wrong key for this encrypted log (key check does not match)")
	}
	return s, nil
}

// sealLine appends base64(seal(line)) to dst.
func sealLine(dst []byte, s *seal.RecordSealer, line []byte) []byte {
	sealed := s.Seal(nil, line)
	return base64.StdEncoding.AppendEncode(dst, sealed)
}

// openLine decodes and opens one sealed line.
func openLine(s *seal.RecordSealer, line []byte) ([]byte, error) {
	raw, err := base64.StdEncoding.Strict().AppendDecode(nil, line)
	if err != nil {
		return nil, errors.New("sealed record is not valid base64")
	}
	pt, err := s.Open(nil, raw)
	if err != nil {
		return nil, errors.New("sealed record fails authentication (altered, or from another log)")
	}
	return pt, nil
}
