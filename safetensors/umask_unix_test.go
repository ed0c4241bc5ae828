//go:build unix

package safetensors

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// Under umask 077 (hospital sites) a written model file must be 0600: the
// writer asks for 0644 and lets the umask decide. Not parallel: the umask
// is process-wide.
func TestWriteAtomicRespectsUmask(t *testing.T) {
	old := syscall.Umask(0o077)
	p := filepath.Join(t.TempDir(), "model.safetensors")
	err := Write(p, []Tensor{F32("w", []int{1}, []float32{1})}, nil)
	syscall.Umask(old)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v under umask 077, want -rw-------", st.Mode().Perm())
	}
}
