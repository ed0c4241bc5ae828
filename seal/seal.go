// Package seal encrypts files at rest with AES-256-GCM in authenticated,
// streamed chunks, so a large file (model weights, a data set) is encrypted
// and decrypted in constant memory and any change to it — a flipped bit, a
// missing, repeated or reordered chunk, a cut or an extended tail — is
// detected before a byte of its plaintext is returned.
//
// # Stream format (version 1)
//
// A sealed stream is a 76-byte header followed by chunks:
//
//	header  = magic "MBSEAL" | version 0x01 | flags 0x00 | chunk size (uint32 big-endian)
//	          | salt (32 random bytes) | key check (32 bytes)
//	chunk i = AES-256-GCM(fileKey, nonce_i, plaintext_i, aad_i)   (len(plaintext_i) + 16 bytes)
//
// where
//
//	fileKey  = HKDF-SHA256(key, salt, "medbert seal v1 stream key")[:32]
//	keyCheck = HKDF-SHA256(key, salt, "medbert seal v1 key check")[:32]
//	nonce_i  = uint64 big-endian i | 00 00 00 00
//	aad_i    = header | 0x01 if chunk i is the last one, else 0x00
//
// Every chunk but the last holds exactly chunk-size plaintext bytes; the last
// holds 0..chunk-size bytes, so an empty file is a header and one empty last
// chunk. The per-stream salt gives every file its own AES key, so nonces (a
// plain counter) never repeat under one key however many files one key
// seals. The last-chunk flag in the AAD makes a stream cut at a chunk
// boundary fail to authenticate; the counter in the nonce makes reordered or
// repeated chunks fail; the header in the AAD binds the chunk size. The key
// check lets a reader tell "wrong key" from "corrupt file"; it is derived
// independently of fileKey and reveals nothing about it.
//
// # What is not hidden
//
// The plaintext length (within 16 bytes per chunk) and, for folders, file
// names (NAME.sealed) are visible.
package seal

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
)

// KeySize is the size of an AES-256 key in bytes.
const KeySize = 32

// Key is an AES-256 key. Never log or print one.
type Key [KeySize]byte

// String hides the key so a stray %v or log line cannot leak it.
func (Key) String() string { return "seal.Key(REDACTED)" }

// GoString hides the key from %#v too.
func (Key) GoString() string { return "seal.Key(REDACTED)" }

// GenerateKey returns a new random key from crypto/rand.
func GenerateKey() (Key, error) {
	var k Key
	if _, err := rand.Read(k[:]); err != nil {
		return Key{}, fmt.Errorf("seal: generate key: %w", err)
	}
	return k, nil
}

const (
	magic = "MBSEAL"
	// Version is the stream format version this package writes and reads.
	Version = 1
	// DefaultChunkSize is the plaintext bytes per chunk written by NewWriter.
	DefaultChunkSize = 64 << 10
	// MaxChunkSize bounds the chunk size a reader accepts, so a corrupt
	// header cannot make it allocate without bound.
	MaxChunkSize = 16 << 20
	saltSize     = 32
	checkSize    = 32
	// HeaderSize is the length of a stream header in bytes.
	HeaderSize = 6 + 2 + 4 + saltSize + checkSize // magic, version, flags, chunk size, salt, key check
	// Overhead is the authentication tag added to every chunk.
	Overhead = 16
)

var (
	// ErrWrongKey reports a stream sealed under a different key.
	ErrWrongKey = errors.New("seal: wrong key (the key check in the header does not match)")
	// ErrNotSealed reports data that does not start with a seal header.
	ErrNotSealed = errors.New("seal: not a sealed stream (bad magic)")
)

// header is a parsed stream header together with the keys derived from it.
type header struct {
	raw       [HeaderSize]byte
	chunkSize int
	aead      cipher.AEAD
}

func deriveKeys(key Key, salt []byte) (fileKey, check []byte, err error) {
	fileKey, err = hkdf.Key(sha256.New, key[:], salt, "medbert seal v1 stream key", KeySize)
	if err != nil {
		return nil, nil, err
	}
	check, err = hkdf.Key(sha256.New, key[:], salt, "medbert seal v1 key check", checkSize)
	return fileKey, check, err
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// newHeader makes a header with a fresh random salt.
func newHeader(key Key, chunkSize int) (*header, error) {
	if chunkSize < 1 || chunkSize > MaxChunkSize {
		return nil, fmt.Errorf("seal: chunk size %d not in [1, %d]", chunkSize, MaxChunkSize)
	}
	h := &header{chunkSize: chunkSize}
	b := h.raw[:0]
	b = append(b, magic...)
	b = append(b, Version, 0)
	b = binary.BigEndian.AppendUint32(b, uint32(chunkSize))
	salt := h.raw[len(b) : len(b)+saltSize]
	if _, err := rand.Read(salt); err != nil {
		return nil, fmt.Errorf("seal: salt: %w", err)
	}
	fileKey, check, err := deriveKeys(key, salt)
	if err != nil {
		return nil, fmt.Errorf("seal: derive key: %w", err)
	}
	copy(h.raw[len(b)+saltSize:], check)
	if h.aead, err = newGCM(fileKey); err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return h, nil
}

// parseHeader validates raw and derives the stream key from key.
func parseHeader(raw []byte, key Key) (*header, error) {
	if len(raw) < HeaderSize {
		return nil, fmt.Errorf("seal: header is %d bytes, want %d (file truncated?)", len(raw), HeaderSize)
	}
	if !bytes.Equal(raw[:len(magic)], []byte(magic)) {
		return nil, ErrNotSealed
	}
	if v := raw[len(magic)]; v != Version {
		return nil, fmt.Errorf("seal: format version %d, this build reads version %d", v, Version)
	}
	if f := raw[len(magic)+1]; f != 0 {
		return nil, fmt.Errorf("seal: unknown header flags %#x", f)
	}
	h := &header{}
	copy(h.raw[:], raw)
	off := len(magic) + 2
	cs := binary.BigEndian.Uint32(raw[off:])
	if cs < 1 || cs > MaxChunkSize {
		return nil, fmt.Errorf("seal: chunk size %d in header not in [1, %d]", cs, MaxChunkSize)
	}
	h.chunkSize = int(cs)
	off += 4
	fileKey, check, err := deriveKeys(key, raw[off:off+saltSize])
	if err != nil {
		return nil, fmt.Errorf("seal: derive key: %w", err)
	}
	if subtle.ConstantTimeCompare(check, raw[off+saltSize:HeaderSize]) != 1 {
		return nil, ErrWrongKey
	}
	if h.aead, err = newGCM(fileKey); err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return h, nil
}

// nonceAndAAD fills the nonce and AAD of chunk i; aad must have room for
// the header plus the flag byte.
func (h *header) nonceAndAAD(nonce *[12]byte, aad []byte, i uint64, last bool) []byte {
	binary.BigEndian.PutUint64(nonce[:8], i)
	aad = append(aad[:0], h.raw[:]...)
	if last {
		return append(aad, 1)
	}
	return append(aad, 0)
}
