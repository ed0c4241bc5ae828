package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/medbert/medbert/seal"
)

// TestLoadSealed: a folder encrypted with `medbert encrypt` loads with its
// key to the same model (identity and scores) as the plaintext folder,
// and nothing is written next to the sealed files.
func TestLoadSealed(t *testing.T) {
	plain := tinyFolder(t)
	key, err := seal.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	sealed := filepath.Join(t.TempDir(), "sealed")
	if err := seal.EncryptDir(plain, sealed, key); err != nil {
		t.Fatal(err)
	}
	want, err := Load(plain, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := Load(sealed, Options{Key: &key})
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != want.ID || got.ID == "" {
		t.Errorf("sealed identity %s, plaintext %s", got.ID, want.ID)
	}

	in := []Input{{Text: "a b c ! d"}, {Text: "x y"}}
	a, err := want.Classify(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	b, err := got.Classify(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	for i := range a {
		if !slices.Equal(a[i].Scores, b[i].Scores) {
			t.Errorf("input %d: sealed scores %v, plaintext %v", i, b[i].Scores, a[i].Scores)
		}
	}
	ents, _ := os.ReadDir(sealed)
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), seal.Ext) {
			t.Errorf("a plaintext file %s sits in the sealed folder", e.Name())
		}
	}
	// The sealed folder's threshold file is read (and checked) too: this
	// three-label model refuses one, as its plaintext folder does.
	withThreshold := tinyFolder(t)
	if err := SaveThreshold(withThreshold, Threshold{Label: "POSITIVE", Value: 0.3}); err != nil {
		t.Fatal(err)
	}
	sealed2 := filepath.Join(t.TempDir(), "sealed2")
	if err := seal.EncryptDir(withThreshold, sealed2, key); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(sealed2, Options{Key: &key}); err == nil || !strings.Contains(err.Error(), ThresholdFile) {
		t.Errorf("a sealed threshold file was not read: %v", err)
	}
	other, _ := seal.GenerateKey()
	if _, err := Load(sealed, Options{Key: &other}); err == nil {
		t.Error("the wrong key loaded the folder")
	}
}
