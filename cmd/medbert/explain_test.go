package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestExplainCLI(t *testing.T) {
	model := tinyModelDir(t)
	page := filepath.Join(t.TempDir(), "why.html")
	stdout, stderr, code := runCLI(t, "explain", "--model", model, "a b c ! d", "--json", "--steps", "64", "--target", "POSITIVE", "--html", page)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var e struct {
		Label         string  `json:"label"`
		Method        string  `json:"method"`
		Logit         float64 `json:"logit"`
		BaselineLogit float64 `json:"baseline_logit"`
		Words         []struct {
			Word       string
			Start, End int
			Score      float64
		} `json:"words"`
	}
	if err := json.Unmarshal([]byte(stdout), &e); err != nil {
		t.Fatalf("not one JSON object: %v\n%s", err, stdout)
	}
	if e.Label != "POSITIVE" || e.Method != "ig" || len(e.Words) != 5 || e.Words[4].Word != "d" || e.Words[4].Start != 8 {
		t.Errorf("explanation %+v", e)
	}
	var sum float64
	for _, w := range e.Words {
		sum += w.Score
	}
	if d := e.Logit - e.BaselineLogit; math.Abs(sum-d) > 0.02*math.Abs(d) {
		t.Errorf("scores sum to %g, logit − baseline = %g", sum, d)
	}
	b, err := os.ReadFile(page)
	if err != nil || !strings.Contains(string(b), "qualified clinician") {
		t.Errorf("--html page: %v", err)
	}
	stdout, _, code = runCLI(t, "explain", "--model", model, "--method", "rollout", "a b c")
	if code != 0 || !strings.Contains(stdout, "(rollout)") {
		t.Errorf("rollout text output (exit %d):\n%s", code, stdout)
	}
}

func TestExplainCLIRefuses(t *testing.T) {
	model := tinyModelDir(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--model", model, "--method", "shap", "x"}, "--method"},
		{[]string{"--model", model, "--steps", "0", "x"}, "--steps"},
		{[]string{"--model", model}, "give the text"},
		{[]string{"--model", model, "--target", "NOPE", "x"}, "not one of the model's labels"},
		{[]string{"--model", filepath.Join(model, "config.json"), "x"}, "is a file"},
	} {
		_, stderr, code := runCLI(t, append([]string{"explain"}, c.args...)...)
		if code == 0 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", c.args, code, stderr, c.want)
		}
	}
}
