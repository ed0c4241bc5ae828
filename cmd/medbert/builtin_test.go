package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medbert/medbert/pretrained"
)

// The embedded model answers to its name where a model folder is read:
// inspect describes it, convert exports it as float32.
func TestBuiltinModelByName(t *testing.T) {
	stdout, stderr, code := runCLI(t, "inspect", "--no-tensors", pretrained.Name)
	if code != 0 {
		t.Fatalf("inspect: exit %d\n%s", code, stderr)
	}
	for _, want := range []string{pretrained.Name + " (embedded in the binary", "BertForMaskedLM", "hidden 256, layers 4", "F16 ×74", "cls.predictions"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("inspect output lacks %q:\n%s", want, stdout)
		}
	}
	out := filepath.Join(t.TempDir(), "f32")
	if _, stderr, code := runCLI(t, "convert", "--model", pretrained.Name, "--output", out); code != 0 {
		t.Fatalf("convert: exit %d\n%s", code, stderr)
	}
	stdout, _, code = runCLI(t, "inspect", "--no-tensors", out)
	if code != 0 || !strings.Contains(stdout, "F32 ×74") {
		t.Errorf("exported folder: exit %d\n%s", code, stdout)
	}
	for _, f := range []string{"vocab.txt", "config.json", "tokenizer_config.json"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("export lacks %s", f)
		}
	}
	// A local folder of that name wins over the embedded model.
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.Mkdir(pretrained.Name, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := runCLI(t, "inspect", pretrained.Name); code == 0 || !strings.Contains(stderr, "config.json") {
		t.Errorf("an empty local %s folder was not the one read: exit %d %s", pretrained.Name, code, stderr)
	}
}

// pretrain continues the embedded model on a hospital's own text and
// writes a folder with the same shape and its MLM head.
func TestPretrainContinuesBuiltin(t *testing.T) {
	dir := t.TempDir()
	corpus := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(corpus, []byte(strings.Repeat("Patient admitted with chest pain; troponin negative, discharged on aspirin.\n", 40)), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "cont")
	_, stderr, code := runCLI(t, "pretrain", "--model", pretrained.Name, "--train-file", corpus, "--output-dir", out,
		"--max-steps", "1", "--batch-size", "2", "--max-seq-length", "32", "--save-strategy", "no", "--disable-tqdm")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	stdout, _, code := runCLI(t, "inspect", "--no-tensors", out)
	if code != 0 || !strings.Contains(stdout, "hidden 256, layers 4") || !strings.Contains(stdout, "cls.predictions") {
		t.Errorf("continued model: exit %d\n%s", code, stdout)
	}
}
