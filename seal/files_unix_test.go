//go:build unix

package seal

import (
	"bytes"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestEncryptDecryptFileModes(t *testing.T) {
	old := syscall.Umask(0o027)
	defer syscall.Umask(old)
	key := testKey(12)
	tmp := t.TempDir()
	in := filepath.Join(tmp, "notes.jsonl")
	writeFile(t, in, []byte(`{"text":"x"}`+"\n"))
	enc, dec := in+Ext, filepath.Join(tmp, "notes.out")
	if err := EncryptFile(in, enc, key); err != nil {
		t.Fatal(err)
	}
	if err := DecryptFile(enc, dec, key); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]os.FileMode{enc: 0o640, dec: 0o600} {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v (0644/0600 under umask 027)", path, st.Mode().Perm(), want)
		}
	}
	got, _ := os.ReadFile(dec)
	if string(got) != `{"text":"x"}`+"\n" {
		t.Fatalf("round trip: %q", got)
	}
	// A failed decrypt leaves an existing output untouched.
	os.WriteFile(enc, []byte("MBSEAL garbage"), 0o644)
	if err := DecryptFile(enc, dec, key); err == nil {
		t.Fatal("garbage decrypted")
	}
	if got2, _ := os.ReadFile(dec); !bytes.Equal(got2, got) {
		t.Fatal("failed decrypt changed the existing output")
	}
}
