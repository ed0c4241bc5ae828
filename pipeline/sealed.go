package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"sync"

	"github.com/medbert/medbert/bert"
	"github.com/medbert/medbert/seal"
	"github.com/medbert/medbert/tokenize"
)

// loadSealed loads a folder written by `medbert encrypt` (seal.EncryptDir):
// every file is decrypted into memory as it is read, so no plaintext
// weight ever reaches the disk. Such a folder must hold model.safetensors.
// Its ID is the identity of the plaintext folder (Identity), so an
// encrypted copy audits under the same name as the original.
func loadSealed(dir string, opts Options) (*Pipeline, error) {
	fsys := &keepFS{ReadFileFS: seal.DirFS(dir, *opts.Key), keep: map[string][]byte{}}
	m, _, err := bert.LoadFS(fsys, dir, bert.LoadOptions{Head: opts.Head, Seed: opts.Seed})
	if err != nil {
		return nil, err
	}
	m.PackForInference()
	s, v, err := tokenize.ReadFS(fsys, dir)
	if err != nil {
		return nil, err
	}
	tok, err := newTokenizer(dir, s, v, m.Config, opts.Lower)
	if err != nil {
		return nil, err
	}
	p, err := New(m, tok, opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	h := sha256.New()
	for _, name := range []string{bert.FileConfig, bert.FileSafetensors} {
		h.Write(fsys.keep[name])
	}
	p.ID = hex.EncodeToString(h.Sum(nil))
	if err := p.loadThreshold(fsys, dir); err != nil {
		return nil, err
	}
	return p, nil
}

// keepFS holds on to the decrypted config and weights it served, so the
// identity is hashed without decrypting them a second time.
type keepFS struct {
	fs.ReadFileFS
	mu   sync.Mutex
	keep map[string][]byte
}

func (k *keepFS) ReadFile(name string) ([]byte, error) {
	b, err := k.ReadFileFS.ReadFile(name)
	if err == nil && (name == bert.FileConfig || name == bert.FileSafetensors) {
		k.mu.Lock()
		k.keep[name] = b
		k.mu.Unlock()
	}
	return b, err
}
