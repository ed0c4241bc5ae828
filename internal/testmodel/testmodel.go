// Package testmodel assembles, for tests and examples across the module,
// a model folder from the repository's tiny golden model (2 layers, hidden
// 64, three labels NEGATIVE/NEUTRAL/POSITIVE, a sequence-classification
// head) and the first 512 entries of the bert-base-cased vocabulary, which
// its token ids index: [PAD]=0, [UNK]=100, [CLS]=101, [SEP]=102 and single
// characters. Words mostly tokenize to [UNK]; the model exercises the
// pipeline, its predictions mean nothing.
package testmodel

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/medbert/medbert/bert"
	"github.com/medbert/medbert/tokenize"
)

// Root is the repository's root folder.
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// Vocab returns the tiny model's 512 tokens.
func Vocab() ([]string, error) {
	b, err := os.ReadFile(filepath.Join(Root(), "testdata", "vocab", "bert-base-cased-vocab.txt"))
	if err != nil {
		return nil, err
	}
	return strings.Split(string(b), "\n")[:512], nil
}

// WriteDir writes the folder (config.json, model.safetensors, vocab.txt)
// into dir, which must exist.
func WriteDir(dir string) error {
	for _, f := range []string{"config.json", "model.safetensors"} {
		b, err := os.ReadFile(filepath.Join(Root(), "testdata", "golden", "tiny", f))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			return err
		}
	}
	v, err := Vocab()
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "vocab.txt"), []byte(strings.Join(v, "\n")+"\n"), 0o644)
}

// TB is the part of testing.TB Dir needs.
type TB interface {
	Helper()
	TempDir() string
	Fatal(args ...any)
}

// Dir writes the folder into a fresh temporary folder of t and returns it.
func Dir(t TB) string {
	t.Helper()
	dir := t.TempDir()
	if err := WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// Tokenizer is the tiny model's cased WordPiece tokenizer.
func Tokenizer(t TB) *tokenize.Tokenizer {
	t.Helper()
	toks, err := Vocab()
	if err != nil {
		t.Fatal(err)
	}
	v, err := tokenize.NewVocab("vocab.txt", toks)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenize.New(v, tokenize.DefaultSettings(false))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// Load loads the tiny golden model with the given head, and its tokenizer.
func Load(t TB, head string) (*bert.Model, *tokenize.Tokenizer) {
	t.Helper()
	m, _, err := bert.Load(filepath.Join(Root(), "testdata", "golden", "tiny"), bert.LoadOptions{Head: head})
	if err != nil {
		t.Fatal(err)
	}
	return m, Tokenizer(t)
}
