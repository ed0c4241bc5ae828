package seal

import (
	"bytes"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestEncryptDecryptDir(t *testing.T) {
	key := testKey(10)
	tmp := t.TempDir()
	model := filepath.Join(tmp, "model")
	files := map[string][]byte{
		"config.json":       []byte(`{"hidden_size":4}`),
		"vocab.txt":         []byte("[PAD]\n[UNK]\n"),
		"model.safetensors": randBytes(3*DefaultChunkSize+5, 11),
		"sub/empty.bin":     {},
	}
	for name, b := range files {
		writeFile(t, filepath.Join(model, name), b)
	}
	// A symlinked file, as in a Hugging Face cache snapshot.
	writeFile(t, filepath.Join(tmp, "blob"), []byte("linked"))
	if err := os.Symlink(filepath.Join(tmp, "blob"), filepath.Join(model, "tokenizer.json")); err != nil {
		t.Fatal(err)
	}
	files["tokenizer.json"] = []byte("linked")

	enc := filepath.Join(tmp, "model.enc")
	if err := EncryptDir(model, enc, key); err != nil {
		t.Fatal(err)
	}
	for name, want := range files {
		p := filepath.Join(enc, name+Ext)
		if !IsSealed(p) {
			t.Fatalf("%s is not sealed", p)
		}
		raw, _ := os.ReadFile(p)
		if len(want) > 8 && bytes.Contains(raw, want[:8]) {
			t.Errorf("%s: plaintext visible in the sealed file", name)
		}
		got, err := ReadFile(p, key)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("ReadFile %s: %d bytes, %v", name, len(got), err)
		}
	}
	// DirFS serves the plaintext names from memory.
	fsys := DirFS(enc, key)
	for name, want := range files {
		f, err := fsys.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		st, _ := f.Stat()
		got, err := io.ReadAll(f)
		if err != nil || !bytes.Equal(got, want) || st.Size() != int64(len(want)) || st.Name() != filepath.Base(name) {
			t.Fatalf("DirFS %s: %d bytes, size %d, name %q, %v", name, len(got), st.Size(), st.Name(), err)
		}
		f.Close()
	}
	if got, err := fs.ReadFile(fsys, "config.json"); err != nil || string(got) != `{"hidden_size":4}` {
		t.Fatalf("fs.ReadFile: %q %v", got, err)
	}
	if _, err := fsys.Open("missing.json"); !os.IsNotExist(err) {
		t.Fatalf("missing file: %v, want not-exist", err)
	}

	dec := filepath.Join(tmp, "model.dec")
	if err := DecryptDir(enc, dec, key); err != nil {
		t.Fatal(err)
	}
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join(dec, name))
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("decrypted %s: %v", name, err)
		}
	}
	if err := EncryptDir(model, enc, key); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("overwrite of an existing folder: %v", err)
	}
	// Wrong key: no output folder left behind.
	bad := filepath.Join(tmp, "bad")
	if err := DecryptDir(enc, bad, testKey(99)); err == nil {
		t.Fatal("wrong key accepted")
	}
	if _, err := os.Stat(bad); !os.IsNotExist(err) {
		t.Fatalf("output folder exists after a failed decrypt: %v", err)
	}
	if m, _ := filepath.Glob(filepath.Join(tmp, "bad.tmp-*")); len(m) != 0 {
		t.Fatalf("temporary folder left behind: %v", m)
	}
}

func TestKeyFile(t *testing.T) {
	tmp := t.TempDir()
	path := filepath.Join(tmp, "aes.key")
	k, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	if k == (Key{}) {
		t.Fatal("zero key generated")
	}
	if err := WriteKeyFile(path, k); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm()&0o077 != 0 {
		t.Fatalf("key file mode %v readable by others", st.Mode().Perm())
	}
	got, err := LoadKey(path)
	if err != nil || got != k {
		t.Fatalf("LoadKey: %v", err)
	}
	if err := WriteKeyFile(path, k); err == nil {
		t.Fatal("existing key file overwritten")
	}
	raw := filepath.Join(tmp, "raw.key")
	os.WriteFile(raw, k[:], 0o600)
	if got, err := LoadKey(raw); err != nil || got != k {
		t.Fatalf("raw key: %v", err)
	}
	short := filepath.Join(tmp, "short.key")
	os.WriteFile(short, []byte("abcd\n"), 0o600)
	if _, err := LoadKey(short); err == nil || !strings.Contains(err.Error(), short) {
		t.Fatalf("short key: %v", err)
	}
	nothex := filepath.Join(tmp, "nothex.key")
	os.WriteFile(nothex, []byte(strings.Repeat("zz", 32)), 0o600)
	if _, err := LoadKey(nothex); err == nil || strings.Contains(err.Error(), "zz") {
		t.Fatalf("non-hex key: %v (must not echo key bytes)", err)
	}
	if s := k.String(); strings.Contains(s, "%") || len(s) > 30 || strings.Contains(strings.ToLower(s), "0x") {
		t.Fatalf("Key.String leaks: %q", s)
	}
}
