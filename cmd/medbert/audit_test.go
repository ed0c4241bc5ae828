package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medbert/medbert/audit"
	"github.com/medbert/medbert/seal"
)

func TestAuditKeygenVerify(t *testing.T) {
	dir := t.TempDir()
	prefix := filepath.Join(dir, "signer")
	if code, out, errs := medbert(t, "audit", "keygen", "--out", prefix); code != 0 || !strings.Contains(out, "key id") {
		t.Fatalf("audit keygen: %d %q %q", code, out, errs)
	}
	if st, _ := os.Stat(prefix + ".key"); st.Mode().Perm() != 0o600 {
		t.Fatalf("private key mode %v", st.Mode().Perm())
	}
	if code, _, _ := medbert(t, "audit", "keygen", "--out", prefix); code != 1 {
		t.Fatal("audit keygen overwrote a key pair")
	}
	priv, err := audit.LoadPrivateKey(prefix + ".key")
	if err != nil {
		t.Fatal(err)
	}
	aesKey := filepath.Join(dir, "aes.key")
	medbert(t, "keygen", "--out", aesKey)
	k, _ := seal.LoadKey(aesKey)

	for _, sealed := range []bool{false, true} {
		log := filepath.Join(dir, "plain.log")
		opts := audit.Options{SigningKey: priv, CheckpointEvery: 4}
		extra := []string{}
		if sealed {
			log = filepath.Join(dir, "sealed.log")
			opts.SealKey = &k
			extra = []string{"--key-file", aesKey}
		}
		w, err := audit.Open(log, opts)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 10 {
			w.Append(audit.Record{RequestID: "r" + string(rune('a'+i)), Labels: []audit.Label{{Label: "I10", Score: 0.5}}})
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		args := append([]string{"audit", "verify", log, "--pubkey", prefix + ".pub"}, extra...)
		code, out, errs := medbert(t, args...)
		if code != 0 || !strings.Contains(out, "intact: 13 records (seq 0..12)") || !strings.Contains(out, "anchor checkpoint seq 12") {
			t.Fatalf("sealed=%v verify intact: %d %q %q", sealed, code, out, errs)
		}
		if sealed {
			if code, _, errs := medbert(t, "audit", "verify", log, "--pubkey", prefix+".pub"); code != 1 || !strings.Contains(errs, "encrypted") {
				t.Fatalf("sealed log without key: %d %q", code, errs)
			}
		}

		// Cut the last two lines: the anchor reports the missing tail.
		b, _ := os.ReadFile(log)
		lines := bytes.SplitAfter(b, []byte("\n"))
		os.WriteFile(log, bytes.Join(lines[:len(lines)-3], nil), 0o600)
		code, _, errs = medbert(t, args...)
		if code != 1 || !strings.Contains(errs, "NOT INTACT") || !strings.Contains(errs, "(seq 11): missing tail") {
			t.Fatalf("sealed=%v cut tail: %d %q", sealed, code, errs)
		}
		// Without the anchor the cut shows as unprotected records.
		code, out, _ = medbert(t, append(args, "--no-head")...)
		if code != 0 || !strings.Contains(out, "1 records after the last checkpoint are unprotected") {
			t.Fatalf("sealed=%v cut tail, no anchor: %d %q", sealed, code, out)
		}
	}

	// A changed byte in a plaintext record names its successor's line.
	log := filepath.Join(dir, "plain.log")
	b, _ := os.ReadFile(log)
	os.WriteFile(log, bytes.Replace(b, []byte(`"request_id":"rb"`), []byte(`"request_id":"rc"`), 1), 0o600)
	code, _, errs := medbert(t, "audit", "verify", "--no-head", "--pubkey", prefix+".pub", log)
	if code != 1 || !strings.Contains(errs, "line 3 (seq 2): prev does not match the hash of line 2") {
		t.Fatalf("tampered: %d %q", code, errs)
	}
	code, _, errs = medbert(t, "audit", "verify", log)
	if code != 1 || !strings.Contains(errs, "WARNING: no --pubkey") {
		t.Fatalf("no pubkey: %d %q", code, errs)
	}
	for _, args := range [][]string{{"audit", "--help"}, {"audit", "verify", "--help"}, {"audit", "keygen", "--help"}} {
		if code, _, errs := medbert(t, args...); code != 0 || !strings.Contains(errs, "Usage: medbert audit") {
			t.Errorf("%v: %d %q", args, code, errs)
		}
	}
	if code, _, _ := medbert(t, "audit", "frobnicate"); code != 1 {
		t.Error("unknown audit subcommand accepted")
	}
}
