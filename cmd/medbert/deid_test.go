package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDeidCLIFiles(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "notes.jsonl")
	rows := `{"subject":"s1","text":"Wife Maria called 617-555-0142 on 7/22/2023. K 3.9.","n":1}` + "\n" +
		`{"subject":"s1","text":"Seen 7/29/2023 by Dr. Okafor.","n":2}` + "\n"
	if err := os.WriteFile(in, []byte(rows), 0o600); err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(dir, "shift.key")
	os.WriteFile(key, []byte("a secret of more than sixteen bytes"), 0o600)
	out, rep, page := filepath.Join(dir, "out.jsonl"), filepath.Join(dir, "rep.json"), filepath.Join(dir, "review.html")
	code, _, stderr := medbert(t, "deid", "--in", in, "--out", out, "--spans", "--report", rep,
		"--policy", "surrogate", "--shift-key-file", key, "--patient-field", "subject", "--review", page)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, _ := os.ReadFile(out)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 2 {
		t.Fatalf("output %q", b)
	}
	var r1 struct {
		Subject string
		Text    string
		N       int
		PHI     []struct {
			Start, End int
			Type       string
		}
	}
	if err := json.Unmarshal([]byte(lines[0]), &r1); err != nil {
		t.Fatal(err)
	}
	if r1.Subject != "s1" || r1.N != 1 || strings.Contains(r1.Text, "Maria") || !strings.HasSuffix(r1.Text, "K 3.9.") {
		t.Fatalf("row 1 %+v", r1)
	}
	if len(r1.PHI) != 3 || r1.PHI[0].Type != "NAME" || r1.PHI[0].Start != 5 || r1.PHI[0].End != 10 {
		t.Fatalf("spans %+v", r1.PHI)
	}
	if !strings.HasPrefix(lines[0], `{"subject":"s1","text":`) {
		t.Fatalf("key order lost: %s", lines[0])
	}
	var report struct {
		Rows   int            `json:"rows"`
		ByType map[string]int `json:"by_type"`
	}
	rb, _ := os.ReadFile(rep)
	if err := json.Unmarshal(rb, &report); err != nil || report.Rows != 2 || report.ByType["DATE"] != 2 || report.ByType["NAME"] != 2 {
		t.Fatalf("report %s (%v)", rb, err)
	}
	if strings.Contains(string(rb), "Maria") {
		t.Fatal("report holds a value")
	}
	st, err := os.Stat(page)
	if err != nil || st.Mode().Perm()&0o077 != 0 {
		t.Fatalf("review page %v mode %v, want private", err, st.Mode())
	}
}

func TestDeidCLIErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.jsonl")
	os.WriteFile(bad, []byte("{\"text\":\"ok\"}\n{\"text\": Jane Doe 555-0142}\n"), 0o600)
	code, _, stderr := medbert(t, "deid", "--in", bad)
	if code == 0 || !strings.Contains(stderr, "line 2") || strings.Contains(stderr, "Jane") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	out := filepath.Join(dir, "out.jsonl")
	if code, _, _ := medbert(t, "deid", "--in", bad, "--out", out); code == 0 {
		t.Fatal("bad input accepted")
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatalf("partial output left behind: %v", err)
	}
	for _, args := range [][]string{
		{"deid", "--policy", "mask"},
		{"deid", "--format", "xml"},
		{"deid", "--format", "txt", "--spans"},
		{"deid", "--shift-key-file", filepath.Join(dir, "none")},
	} {
		if code, _, _ := medbert(t, args...); code == 0 {
			t.Errorf("%v accepted", args)
		}
	}
	if code, _, stderr := medbert(t, "deid", "--help"); code != 0 || !strings.Contains(stderr, "--spans") {
		t.Fatalf("help: %d %q", code, stderr)
	}
}

func TestDeidCLITxtStdin(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "notes.txt")
	os.WriteFile(in, []byte("Pt is a 92 yo seen in 2019, BP 120/80.\n"), 0o600)
	code, stdout, stderr := medbert(t, "deid", "--in", in)
	if code != 0 || stdout != "Pt is a [AGE] yo seen in 2019, BP 120/80.\n" {
		t.Fatalf("exit %d %q %q", code, stdout, stderr)
	}
	code, stdout, _ = medbert(t, "deid", "--in", in, "--redact-years")
	if code != 0 || stdout != "Pt is a [AGE] yo seen in [DATE], BP 120/80.\n" {
		t.Fatalf("--redact-years: %q", stdout)
	}
}
