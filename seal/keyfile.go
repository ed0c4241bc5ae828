package seal

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/medbert/medbert/internal/atomicfile"
	"io/fs"
	"os"
)

// A key file holds the 32 key bytes either raw (exactly 32 bytes) or as 64
// hex digits, optionally followed by a newline. WriteKeyFile writes hex, so
// the file survives copy-paste and text-mode transfers.

// LoadKey reads a key file. Errors name the file but never show its bytes.
func LoadKey(path string) (Key, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Key{}, fmt.Errorf("key file: %w", err)
	}
	defer clear(b)
	return ParseKey(b, path)
}

// ParseKey decodes the contents of a key file; name is used in errors.
func ParseKey(b []byte, name string) (Key, error) {
	var k Key
	if len(b) == KeySize {
		copy(k[:], b)
		return k, nil
	}
	t := bytes.TrimRight(b, "\r\n")
	if len(t) != 2*KeySize {
		return Key{}, fmt.Errorf("key file %s: want 32 raw bytes or 64 hex digits, got %d bytes", name, len(b))
	}
	if _, err := hex.Decode(k[:], t); err != nil {
		return Key{}, fmt.Errorf("key file %s: not 64 hex digits", name)
	}
	return k, nil
}

// WriteKeyFile writes key as 64 hex digits and a newline to a new file with
// mode 0600. It refuses to replace an existing file: overwriting a key makes
// everything sealed with it unreadable.
func WriteKeyFile(path string, key Key) error {
	b := make([]byte, 2*KeySize+1)
	hex.Encode(b, key[:])
	b[2*KeySize] = '\n'
	err := atomicfile.CreateNew(path, 0o600, b)
	clear(b)
	switch {
	case errors.Is(err, fs.ErrExist):
		return fmt.Errorf("key file %s already exists; refusing to overwrite a key", path)
	case err != nil:
		return fmt.Errorf("key file %s: %w", path, atomicfile.PathErrCause(err))
	}
	return nil
}
