package seal

import (
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
)

// RecordSealer seals short, independent records — one line of an
// append-only log each — so a file can grow record by record and every
// record is still authenticated on its own. Streams (NewWriter) cannot do
// that: their last chunk is only known at Close.
//
// The AES key is HKDF-SHA256(key, salt, "medbert seal v1 record key: " +
// context); salt is random per file (stored in the file's header), so
// records of different files never share a key. Each record gets a random
// 96-bit nonce; keep under 2^32 records per salt (NIST SP 800-38D), far
// beyond a log file's size. A sealed record is nonce (12 bytes) |
// ciphertext | tag (16 bytes).
type RecordSealer struct {
	aead  cipher.AEAD
	check []byte
}

// RecordOverhead is the bytes a sealed record adds to its plaintext.
const RecordOverhead = 12 + Overhead

// SaltSize is the salt length NewRecordSealer expects.
const SaltSize = saltSize

// NewSalt returns SaltSize random bytes.
func NewSalt() ([]byte, error) {
	s := make([]byte, SaltSize)
	if _, err := rand.Read(s); err != nil {
		return nil, fmt.Errorf("seal: salt: %w", err)
	}
	return s, nil
}

// NewRecordSealer derives the record key for (key, salt, context).
func NewRecordSealer(key Key, salt []byte, context string) (*RecordSealer, error) {
	if len(salt) != SaltSize {
		return nil, fmt.Errorf("seal: salt is %d bytes, want %d", len(salt), SaltSize)
	}
	k, err := hkdf.Key(sha256.New, key[:], salt, "medbert seal v1 record key: "+context, KeySize)
	if err != nil {
		return nil, err
	}
	check, err := hkdf.Key(sha256.New, key[:], salt, "medbert seal v1 record key check: "+context, checkSize)
	if err != nil {
		return nil, err
	}
	aead, err := newGCM(k)
	if err != nil {
		return nil, err
	}
	return &RecordSealer{aead: aead, check: check}, nil
}

// KeyCheck is a value derived from the key (independently of the record
// key) to store beside the salt, so a reader can report a wrong key as such.
func (s *RecordSealer) KeyCheck() []byte { return append([]byte(nil), s.check...) }

// Seal appends the sealed form of plaintext to dst. It is safe for
// concurrent use.
func (s *RecordSealer) Seal(dst, plaintext []byte) []byte {
	var nonce [12]byte
	rand.Read(nonce[:]) // crypto/rand.Read never fails on supported platforms
	dst = append(dst, nonce[:]...)
	return s.aead.Seal(dst, nonce[:], plaintext, nil)
}

// ErrRecordAuth reports a sealed record that fails authentication.
var ErrRecordAuth = errors.New("seal: record fails authentication (corrupt or tampered)")

// Open appends the plaintext of sealed to dst.
func (s *RecordSealer) Open(dst, sealed []byte) ([]byte, error) {
	if len(sealed) < RecordOverhead {
		return nil, ErrRecordAuth
	}
	out, err := s.aead.Open(dst, sealed[:12], sealed[12:], nil)
	if err != nil {
		return nil, ErrRecordAuth
	}
	return out, nil
}
