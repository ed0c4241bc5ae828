//go:build unix

package tokenize

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// Under umask 077 the tokenizer files are 0600: the umask decides, the
// writer never forces 0644. Not parallel: the umask is process-wide.
func TestSaveDirRespectsUmask(t *testing.T) {
	tok, _ := testTokenizers(t)
	dir := t.TempDir()
	old := syscall.Umask(0o077)
	err := tok.SaveDir(dir)
	syscall.Umask(old)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"vocab.txt", "tokenizer_config.json", "special_tokens_map.json"} {
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v under umask 077, want -rw-------", name, st.Mode().Perm())
		}
	}
}
