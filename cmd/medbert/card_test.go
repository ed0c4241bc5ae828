package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCardCLI(t *testing.T) {
	model := tinyModelDir(t)
	data := filepath.Join(t.TempDir(), "test.jsonl")
	writeToyJSONL(t, data, 60, 5)
	stdout, stderr, code := runCLI(t, "card", "--model", model, "--data", data, "--limit", "Trained on toy data only; not for use")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	md, err := os.ReadFile(filepath.Join(model, "MODEL_CARD.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"never an autonomous diagnosis", "NEGATIVE, NEUTRAL, POSITIVE", "On the held-out data test.jsonl, 60 examples",
		"| accuracy |", "Trained on toy data only", "## Known limits", "card_figures/reliability.svg"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("card lacks %q", want)
		}
	}
	for _, f := range []string{"confusion_matrix.svg", "reliability.svg", "roc.svg", "pr.svg"} {
		if _, err := os.Stat(filepath.Join(model, "card_figures", f)); err != nil {
			t.Errorf("chart %s: %v", f, err)
		}
	}
	if !strings.Contains(stdout, "model card written") {
		t.Errorf("stdout: %q", stdout)
	}
	if _, stderr, code := runCLI(t, "card", "--model", model, "--out", filepath.Join(model, "nope", "x.md")); code == 0 || !strings.Contains(stderr, "does not exist") {
		t.Errorf("card into a missing folder: exit %d, %q", code, stderr)
	}
}
