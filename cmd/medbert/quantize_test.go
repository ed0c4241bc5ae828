package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medbert/medbert/datasets/medabstracts"
	"github.com/medbert/medbert/pipeline"
	"github.com/medbert/medbert/task/seqcls"
)

// quantize the tiny golden model, then run forward on the int8 folder: its
// seq-cls logits must be within the golden int8 budget of fp32.
func TestQuantizeCLI(t *testing.T) {
	out := t.TempDir()
	code, stdout, stderr := medbert(t, "quantize", "--model", tinyDir, "--output", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "per_channel") || !strings.Contains(stdout, "wrote") {
		t.Errorf("stdout %q", stdout)
	}
	cfg, err := os.ReadFile(filepath.Join(out, "config.json"))
	if err != nil || !strings.Contains(string(cfg), `"quantization_config"`) {
		t.Fatalf("config.json without quantization_config: %v", err)
	}
	res := filepath.Join(t.TempDir(), "res.safetensors")
	code, _, stderr = medbert(t, "forward", "--model", out, "--inputs", filepath.Join(tinyDir, "inputs.safetensors"), "--output", res)
	if code != 0 {
		t.Fatalf("forward on int8 folder: exit %d: %s", code, stderr)
	}
	compare(t, openST(t, res), "logits", openST(t, filepath.Join(tinyDir, "int8_seqcls.safetensors")), "fp32_seqcls_logits", 5*4.38e-4)

	// Refusals: existing output without --force, int8 input, missing flags.
	if code, _, stderr := medbert(t, "quantize", "--model", tinyDir, "--output", out); code == 0 || !strings.Contains(stderr, "--force") {
		t.Errorf("overwrite without --force: exit %d %q", code, stderr)
	}
	if code, _, stderr := medbert(t, "quantize", "--model", out, "--output", t.TempDir()); code == 0 || !strings.Contains(stderr, "already an int8") {
		t.Errorf("int8 input: exit %d %q", code, stderr)
	}
	if code, _, _ := medbert(t, "quantize", "--model", tinyDir); code == 0 {
		t.Error("missing --output accepted")
	}
}

// The acceptance check on a model fine-tuned on the shipped Medical
// Abstracts corpus (e.g. the folder `medbert quickstart` writes): its int8
// version, saved and reloaded like `medbert quantize` does, must agree with
// it on >= 99% of the test split and lose <= 0.5 macro-F1 points.
//
//	MEDBERT_FINETUNED=./medbert-quickstart go test ./cmd/medbert -run TestQuantizedFineTunedAgreement -v
func TestQuantizedFineTunedAgreement(t *testing.T) {
	dir := os.Getenv("MEDBERT_FINETUNED")
	if dir == "" {
		t.Skip("set MEDBERT_FINETUNED to a model folder fine-tuned on Medical Abstracts")
	}
	sp, err := medabstracts.Split(medabstracts.DefaultSeed)
	if err != nil {
		t.Fatal(err)
	}
	eval := func(dir string) *seqcls.EvalResult {
		p, err := loadClassifier("model", dir, pipeline.Options{MaxLength: 128, BatchSize: 32})
		if err != nil {
			t.Fatal(err)
		}
		r, err := p.Evaluate(context.Background(), sp.Test)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	ref := eval(dir)
	for _, args := range [][]string{nil, {"--per-tensor"}, {"--quantize-embeddings"}} {
		out := t.TempDir()
		if code, _, stderr := medbert(t, append([]string{"quantize", "--model", dir, "--output", out}, args...)...); code != 0 {
			t.Fatalf("quantize: %s", stderr)
		}
		c, err := seqcls.Compare(eval(out), ref)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		c.WriteText(&b)
		t.Logf("int8 %v:\n%s", args, b.String())
		if c.Agreement < 0.99 || c.F1MacroDropPts > 0.5 {
			t.Errorf("int8 %v: agreement %.4f (want >= 0.99), macro-F1 drop %.2f points (want <= 0.5)", args, c.Agreement, c.F1MacroDropPts)
		}
	}
}

// eval --compare on an int8 folder against its float32 original: the
// comparison block is printed and lands in --json under "compare".
func TestEvalCompareCLI(t *testing.T) {
	model := tinyModelDir(t)
	work := t.TempDir()
	data := filepath.Join(work, "val.jsonl")
	writeToyJSONL(t, data, 15, 2)
	q := filepath.Join(work, "int8")
	if _, stderr, code := runCLI(t, "quantize", "--model", model, "--output", q); code != 0 {
		t.Fatalf("quantize: %s", stderr)
	}
	rep := filepath.Join(work, "report.json")
	stdout, stderr, code := runCLI(t, "eval", "--model", q, "--data", data, "--compare", model, "--json", rep)
	if code != 0 {
		t.Fatalf("eval --compare exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "label agreement") || !strings.Contains(stdout, "f1_macro") {
		t.Errorf("stdout lacks the comparison:\n%s", stdout)
	}
	var m struct{ Compare seqcls.Comparison }
	b, _ := os.ReadFile(rep)
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	c := m.Compare
	if c.Examples != 15 || c.Agree < 14 || c.MaxAbsLogit <= 0 || c.MaxAbsLogit > 5*4.38e-4 {
		t.Errorf("compare %+v: want 15 examples, >= 14 agreeing, 0 < max logit diff <= golden int8 budget", c)
	}
	// Comparing a model with itself: everything identical.
	if stdout, _, code := runCLI(t, "eval", "--model", model, "--data", data, "--compare", model); code != 0 || !strings.Contains(stdout, "15/15 = 100.00%") || !strings.Contains(stdout, "max 0,") {
		t.Errorf("self-compare exit %d:\n%s", code, stdout)
	}
	if _, stderr, code := runCLI(t, "eval", "--model", q, "--data", data, "--compare", filepath.Join(work, "missing")); code == 0 || !strings.Contains(stderr, "--compare") {
		t.Errorf("missing --compare folder: exit %d %q", code, stderr)
	}
}
