package bert

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/medbert/medbert/safetensors"
)

// TestExpectedShapes: the table agrees with the parameters every head
// really builds, covers them all, and matches the golden checkpoint.
func TestExpectedShapes(t *testing.T) {
	cfg, err := LoadConfig(filepath.Join(tinyDir, FileConfig))
	if err != nil {
		t.Fatal(err)
	}
	cfg.NumHiddenLayers = 3 // layer count must drive the table
	want := ExpectedShapes(cfg)
	used := map[string]bool{}
	for _, head := range []string{HeadBase, HeadSeqCls, HeadTokenCls, HeadQA, HeadMLM} {
		m, err := New(cfg, head, 1)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range m.Params() {
			s, ok := want[p.Name]
			if !ok {
				t.Errorf("%s: parameter %s missing from ExpectedShapes", head, p.Name)
				continue
			}
			if !slices.Equal(s, p.T.Shape) {
				t.Errorf("%s: %s: ExpectedShapes %v, model %v", head, p.Name, s, p.T.Shape)
			}
			used[p.Name] = true
		}
	}
	for k := range want {
		if !used[k] {
			t.Errorf("ExpectedShapes lists %s, which no head has", k)
		}
	}

	cfg.NumHiddenLayers = 2
	want = ExpectedShapes(cfg)
	f, err := safetensors.Open(filepath.Join(tinyDir, FileSafetensors))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if len(f.Names()) != len(want) {
		t.Errorf("golden has %d tensors, ExpectedShapes %d", len(f.Names()), len(want))
	}
	for _, n := range f.Names() {
		info, _ := f.Info(n)
		if !slices.Equal(want[CanonicalKey(n)], info.Shape) {
			t.Errorf("%s: golden %v, ExpectedShapes %v", n, info.Shape, want[CanonicalKey(n)])
		}
	}
}
