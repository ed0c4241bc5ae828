package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// smallConfig writes a 2-layer, 32-wide config over the bert-base-cased
// vocabulary, for models trained from scratch in a few seconds.
func smallConfig(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "config.json")
	cfg := `{"vocab_size": 28996, "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2,
"intermediate_size": 64, "max_position_embeddings": 128, "hidden_dropout_prob": 0, "attention_probs_dropout_prob": 0}`
	if err := os.WriteFile(p, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestNERTrainEvalPredictCLI: train --task ner on a CoNLL slice of
// NCBI-disease, eval --task ner, then predict on raw text with entity
// spans into that text.
func TestNERTrainEvalPredictCLI(t *testing.T) {
	work := t.TempDir()
	vocab := filepath.Join("..", "..", "testdata", "vocab", "bert-base-cased-vocab.txt")
	data := filepath.Join("..", "..", "task", "tokencls", "testdata")
	out := filepath.Join(work, "ner")
	stdout, stderr, code := runCLI(t, "train", "--task", "ner", "--config", smallConfig(t, work), "--vocab", vocab,
		"--train-file", filepath.Join(data, "ncbi_train_small.tsv"), "--validation-file", filepath.Join(data, "ncbi_test_small.tsv"),
		"--output-dir", out, "--max-steps", "40", "--batch-size", "16", "--learning-rate", "3e-3", "--max-seq-length", "64",
		"--eval-strategy", "no", "--save-strategy", "no", "--disable-tqdm")
	if code != 0 {
		t.Fatalf("train: exit %d\n%s\n%s", code, stdout, stderr)
	}
	report := filepath.Join(work, "ner.json")
	stdout, stderr, code = runCLI(t, "eval", "--model", out, "--data", filepath.Join(data, "ncbi_test_small.tsv"), "--json", report)
	if code != 0 || !strings.Contains(stdout, "token accuracy") {
		t.Fatalf("eval: exit %d\n%s\n%s", code, stdout, stderr)
	}
	var rep struct {
		Task    string             `json:"task"`
		Metrics map[string]float64 `json:"metrics"`
	}
	if b, err := os.ReadFile(report); err != nil || json.Unmarshal(b, &rep) != nil || rep.Task != "ner" || rep.Metrics["accuracy"] <= 0 {
		t.Errorf("eval --json: %v %+v", err, rep)
	}
	text := "Hereditary  breast cancer and ovarian cancer in café owners."
	stdout, stderr, code = runCLI(t, "predict", "--task", "ner", "--model", out, text)
	if code != 0 {
		t.Fatalf("predict: exit %d: %s", code, stderr)
	}
	var got struct {
		Entities []struct {
			Type       string
			Start, End int
			Text       string
			Score      float64
		} `json:"entities"`
	}
	if err := json.Unmarshal([]byte(stdout), &got); err != nil || got.Entities == nil {
		t.Fatalf("predict output %q: %v", stdout, err)
	}
	runes := []rune(text)
	for _, e := range got.Entities {
		if e.Start < 0 || e.End > len(runes) || e.Start >= e.End || string(runes[e.Start:e.End]) != e.Text || !utf8.ValidString(e.Text) {
			t.Errorf("entity %+v does not slice the text", e)
		}
	}
	if _, stderr, code = runCLI(t, "predict", "--task", "qa", "--model", out, "x"); code == 0 || !strings.Contains(stderr, "is a ner model") {
		t.Errorf("predict --task qa on a NER model: exit %d %q", code, stderr)
	}
}

// TestQAPredictCLI: train --task qa on a few synthetic clinical questions
// and answer the guide's example: the answer is a span of the context.
func TestQAPredictCLI(t *testing.T) {
	work := t.TempDir()
	vocab := filepath.Join("..", "..", "testdata", "vocab", "bert-base-cased-vocab.txt")
	out := filepath.Join(work, "qa")
	stdout, stderr, code := runCLI(t, "train", "--task", "qa", "--config", smallConfig(t, work), "--vocab", vocab,
		"--train-file", filepath.Join("..", "..", "task", "qa", "testdata", "squad_v2_small.json"),
		"--output-dir", out, "--max-steps", "30", "--batch-size", "4", "--learning-rate", "3e-3", "--max-seq-length", "96",
		"--eval-strategy", "no", "--save-strategy", "no", "--disable-tqdm")
	if code != 0 {
		t.Fatalf("train: exit %d\n%s\n%s", code, stdout, stderr)
	}
	ctx := "The patient presented with a persistent cough, high fever, and shortness of breath. Chest X-ray revealed signs of pneumonia."
	stdout, stderr, code = runCLI(t, "predict", "--task", "qa", "--model", out, "--question", "What condition does the patient likely have?", "--context", ctx)
	if code != 0 {
		t.Fatalf("predict: exit %d: %s", code, stderr)
	}
	var a struct {
		Answer     string
		Start, End int
		Score      float64
	}
	if err := json.Unmarshal([]byte(stdout), &a); err != nil {
		t.Fatalf("predict output %q: %v", stdout, err)
	}
	if r := []rune(ctx); a.Answer == "" || a.Start < 0 || a.End > len(r) || string(r[a.Start:a.End]) != a.Answer {
		t.Errorf("answer %+v is not a span of the context", a)
	}
	t.Logf("answer %q (score %.3f)", a.Answer, a.Score)
	if _, stderr, code = runCLI(t, "predict", "--model", out, "--question", "x"); code == 0 || !strings.Contains(stderr, "--context") {
		t.Errorf("qa without --context: exit %d %q", code, stderr)
	}
}
