package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medbert/medbert/safetensors"
	"github.com/medbert/medbert/seal"
)

func TestKeygenEncryptDecrypt(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "aes.key")
	if code, out, errs := medbert(t, "keygen", "--out", key); code != 0 || !strings.Contains(out, "wrote AES-256 key") {
		t.Fatalf("keygen: %d %q %q", code, out, errs)
	}
	st, _ := os.Stat(key)
	if st.Mode().Perm() != 0o600 || st.Size() != 65 {
		t.Fatalf("key file mode %v size %d, want 0600 and 65 (64 hex + newline)", st.Mode().Perm(), st.Size())
	}
	before, _ := os.ReadFile(key)
	if code, _, errs := medbert(t, "keygen", "--out", key); code != 1 || !strings.Contains(errs, "refusing to overwrite") {
		t.Fatalf("keygen over an existing key: %d %q", code, errs)
	}
	if after, _ := os.ReadFile(key); !bytes.Equal(before, after) {
		t.Fatal("existing key changed")
	}

	// A model folder: encrypt, read the weights from memory, decrypt back.
	enc := filepath.Join(dir, "tiny.sealed")
	code, out, errs := medbert(t, "encrypt", tinyDir, enc, "--key-file", key)
	if code != 0 || strings.Contains(out+errs, strings.TrimSpace(string(before))) {
		t.Fatalf("encrypt folder: %d %q %q", code, out, errs)
	}
	k, err := seal.LoadKey(key)
	if err != nil {
		t.Fatal(err)
	}
	names, _ := os.ReadDir(tinyDir)
	for _, e := range names {
		if e.IsDir() {
			continue
		}
		want, _ := os.ReadFile(filepath.Join(tinyDir, e.Name()))
		got, err := seal.ReadFile(filepath.Join(enc, e.Name()+seal.Ext), k)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%s: %v", e.Name(), err)
		}
		if strings.HasSuffix(e.Name(), ".safetensors") {
			if _, err := safetensors.Parse(got, e.Name()); err != nil {
				t.Fatalf("weights decrypted in memory do not parse: %v", err)
			}
		}
	}
	dec := filepath.Join(dir, "tiny.plain")
	if code, _, errs := medbert(t, "decrypt", "--key-file", key, enc, dec); code != 0 {
		t.Fatalf("decrypt folder: %q", errs)
	}
	for _, e := range names {
		if e.IsDir() {
			continue
		}
		want, _ := os.ReadFile(filepath.Join(tinyDir, e.Name()))
		got, _ := os.ReadFile(filepath.Join(dec, e.Name()))
		if !bytes.Equal(got, want) {
			t.Fatalf("%s differs after the round trip", e.Name())
		}
	}

	// A file, and the refusals.
	notes := filepath.Join(dir, "notes.jsonl")
	os.WriteFile(notes, []byte(`{"text":"chest pain"}`+"\n"), 0o600)
	if code, _, errs := medbert(t, "encrypt", "--key-file", key, notes, notes+".sealed"); code != 0 {
		t.Fatalf("encrypt file: %q", errs)
	}
	if sealed, _ := os.ReadFile(notes + ".sealed"); bytes.Contains(sealed, []byte("chest")) {
		t.Fatal("plaintext visible")
	}
	other := filepath.Join(dir, "other.key")
	medbert(t, "keygen", "--out", other)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"decrypt", "--key-file", other, notes + ".sealed", filepath.Join(dir, "x")}, "wrong key"},
		{[]string{"decrypt", "--key-file", key, notes + ".sealed", notes}, "already exists"},
		{[]string{"encrypt", "--key-file", key, notes + ".sealed", filepath.Join(dir, "y")}, "already sealed"},
		{[]string{"encrypt", "--key-file", filepath.Join(dir, "missing.key"), notes, filepath.Join(dir, "z")}, "key file"},
		{[]string{"encrypt", notes, filepath.Join(dir, "z")}, "want --key-file"},
	} {
		code, _, errs := medbert(t, c.args...)
		if code != 1 || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", c.args, code, errs, c.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "x")); !os.IsNotExist(err) {
		t.Fatal("output left behind by a failed decrypt")
	}
	for _, cmd := range []string{"keygen", "encrypt", "decrypt"} {
		if code, _, errs := medbert(t, cmd, "--help"); code != 0 || !strings.Contains(errs, "Usage: medbert "+cmd) {
			t.Errorf("%s --help: %d %q", cmd, code, errs)
		}
	}
}
