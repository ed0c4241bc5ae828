package tokenize

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestSaveDirRoundTrip(t *testing.T) {
	cased, _ := testTokenizers(t)
	dir := t.TempDir()
	if err := cased.SaveDir(dir); err != nil {
		t.Fatal(err)
	}
	back, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	s := back.Settings()
	if s.DoLowerCase || s.LowerCaseReason != "tokenizer_config.json: do_lower_case=false" || s.ModelMaxLength != 512 {
		t.Fatalf("reloaded settings %+v", s)
	}
	if !slices.Equal(back.Vocab().Tokens(), cased.Vocab().Tokens()) {
		t.Fatal("vocabulary changed")
	}
	for _, g := range goldenCases(t, "cased") {
		if !slices.Equal(back.Tokenize(g.Text), cased.Tokenize(g.Text)) {
			t.Fatalf("%q tokenizes differently after save", g.Text)
		}
	}
}

// TestSaveDirFiles: saved files are created 0644 less the umask, as bert
// and train write theirs (umask_unix_test.go checks umask 077), never
// group- or world-writable, and a missing folder
// is named in the error rather than the hidden temporary file.
func TestSaveDirFiles(t *testing.T) {
	cased, _ := testTokenizers(t)
	dir := t.TempDir()
	if err := cased.SaveDir(dir); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"vocab.txt", "tokenizer_config.json", "special_tokens_map.json"} {
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if m := st.Mode().Perm(); m&0o600 != 0o600 || m&0o022 != 0 {
			t.Errorf("%s: mode %v, want owner read-write and nobody else writing", name, m)
		}
	}
	missing := filepath.Join(dir, "nope")
	err := cased.SaveDir(missing)
	if want := "cannot write " + filepath.Join(missing, "vocab.txt") + ": no such file or directory"; err == nil || err.Error() != want {
		t.Errorf("SaveDir into a missing folder: %v, want %q", err, want)
	}
}

func TestDecode(t *testing.T) {
	cased, uncased := testTokenizers(t)
	e, _ := uncased.Encode("The patient's HbA1c, isn't it 7.2%?", Options{})
	if got, want := uncased.Decode(e.IDs, true), "the patient's hba1c, isn't it 7. 2 %?"; got != want {
		t.Errorf("Decode = %q, want %q", got, want)
	}
	if got, want := uncased.Decode(e.IDs[:3], false), "[CLS] the patient"; got != want {
		t.Errorf("Decode = %q, want %q", got, want)
	}
	e, _ = cased.Encode("Metformin [MASK] daily", Options{})
	if got, want := cased.Decode(e.IDs, false), "[CLS] Metformin [MASK] daily [SEP]"; got != want {
		t.Errorf("Decode = %q, want %q", got, want)
	}
}
