package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func runTokenizeCLI(t *testing.T, stdin string, args ...string) ([]tokenizeOutput, string) {
	t.Helper()
	if stdin != "" {
		f, err := os.CreateTemp(t.TempDir(), "stdin")
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString(stdin)
		f.Seek(0, 0)
		old := os.Stdin
		os.Stdin = f
		defer func() { os.Stdin = old; f.Close() }()
	}
	var out, errb bytes.Buffer
	if code := run(append([]string{"tokenize"}, args...), &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var res []tokenizeOutput
	dec := json.NewDecoder(&out)
	for dec.More() {
		var o tokenizeOutput
		if err := dec.Decode(&o); err != nil {
			t.Fatal(err)
		}
		res = append(res, o)
	}
	return res, errb.String()
}

var uncasedVocab = filepath.Join("..", "..", "testdata", "vocab", "bert-base-uncased-vocab.txt")

func TestTokenizeCLI(t *testing.T) {
	res, stderr := runTokenizeCLI(t, "", "--vocab", uncasedVocab, "--", "-5 mg/kg", "Sjögren's")
	if len(res) != 2 {
		t.Fatalf("%d outputs", len(res))
	}
	if want := []string{"[CLS]", "-", "5", "mg", "/", "kg", "[SEP]"}; !slices.Equal(res[0].Tokens, want) {
		t.Fatalf("tokens %q want %q", res[0].Tokens, want)
	}
	if want := []int{101, 1011, 1019, 11460, 1013, 4705, 102}; !slices.Equal(res[0].IDs, want) {
		t.Fatalf("ids %v want %v", res[0].IDs, want)
	}
	// Code point offsets: "ö" is one character although two bytes.
	if want := [][2]int{{0, 0}, {0, 1}, {1, 3}, {3, 7}, {7, 8}, {8, 9}, {0, 0}}; !slices.Equal(res[1].Offsets, want) {
		t.Fatalf("offsets %v want %v (tokens %q)", res[1].Offsets, want, res[1].Tokens)
	}
	if !strings.Contains(stderr, "uncased: lower-casing") {
		t.Fatalf("casing decision not reported: %q", stderr)
	}

	// Lines of stdin, CRLF tolerated, empty line kept; casing override is silent.
	res, stderr = runTokenizeCLI(t, "Na+ 135\r\n\nq.i.d.\n", "--vocab", uncasedVocab, "--lower", "--no-special", "--offsets", "bytes")
	if len(res) != 3 || len(res[1].IDs) != 0 || stderr != "" {
		t.Fatalf("stdin results %+v stderr %q", res, stderr)
	}
	if want := []string{"na", "+", "135"}; !slices.Equal(res[0].Tokens, want) {
		t.Fatalf("tokens %q want %q", res[0].Tokens, want)
	}

	// QA windows with a pair.
	res, _ = runTokenizeCLI(t, "", "--vocab", uncasedVocab, "--pair", "a b c d e f g", "--max-length", "8",
		"--truncation", "only_second", "--stride", "2", "--padding", "max_length", "why")
	if len(res) != 1 || len(res[0].Overflowing) != 2 {
		t.Fatalf("windows: %+v", res)
	}
	last := res[0].Overflowing[1]
	if !slices.Equal(last.IDs, []int{101, 2339, 102, 1041, 1042, 1043, 102, 0}) || !slices.Equal(last.TypeIDs, []int{0, 0, 0, 1, 1, 1, 1, 0}) ||
		!slices.Equal(last.AttentionMask, []int{1, 1, 1, 1, 1, 1, 1, 0}) || last.Offsets[3] != [2]int{8, 9} {
		t.Fatalf("last window %+v", last)
	}
}

func TestTokenizeCLIErrors(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"--vocab", uncasedVocab, "--model", "x", "a"},
		{"--vocab", uncasedVocab, "--lower", "--no-lower", "a"},
		{"--vocab", uncasedVocab, "--stride", "2", "a"},
		{"--vocab", "missing-vocab.txt", "a"},
		{"--vocab", uncasedVocab, "--truncation", "sideways", "--max-length", "5", "a"},
		{"--vocab", uncasedVocab, "--max-length", "-3", "a"},
	} {
		var out, errb bytes.Buffer
		if code := run(append([]string{"tokenize"}, args...), &out, &errb); code == 0 {
			t.Errorf("%v: exit 0", args)
		}
		if strings.Contains(errb.String(), "goroutine ") || out.Len() > 0 {
			t.Errorf("%v: stdout %q, stderr %q; want only an error message", args, out.String(), errb.String())
		}
	}
}
