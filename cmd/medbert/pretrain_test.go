package main

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medbert/medbert/safetensors"
)

// writeLetterCorpus writes n lines of random single-letter words, which the
// tiny vocabulary (the first 512 bert-base-cased tokens) holds.
func writeLetterCorpus(t *testing.T, path string, n int, seed uint64) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 3))
	var b bytes.Buffer
	for range n {
		for j := range 6 + r.IntN(10) {
			if j > 0 {
				b.WriteByte(' ')
			}
			b.WriteByte(byte('a' + r.IntN(26)))
		}
		b.WriteByte('\n')
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestPretrainResumeBitIdentical pre-trains the tiny config from scratch
// for 4 steps, and again for 2 steps then resumed to 4: the two final
// models are identical to the bit (masks and dropout are functions of
// the seed and the step).
func TestPretrainResumeBitIdentical(t *testing.T) {
	tiny := tinyModelDir(t)
	work := t.TempDir()
	corpus, val := filepath.Join(work, "notes.txt"), filepath.Join(work, "val.txt")
	writeLetterCorpus(t, corpus, 120, 1)
	writeLetterCorpus(t, val, 20, 2)
	common := []string{"--config", filepath.Join(tiny, "config.json"), "--vocab", filepath.Join(tiny, "vocab.txt"),
		"--train-file", corpus, "--validation-file", val, "--max-seq-length", "32", "--batch-size", "4",
		"--lr-scheduler-type", "constant", "--learning-rate", "1e-3", "--save-strategy", "steps", "--save-steps", "2",
		"--logging-steps", "1", "--disable-tqdm", "--whole-word-mask"}
	run := func(out string, extra ...string) string {
		stdout, stderr, code := runCLI(t, append(append([]string{"pretrain", "--output-dir", out}, common...), extra...)...)
		if code != 0 {
			t.Fatalf("pretrain %v: exit %d\n%s\n%s", extra, code, stdout, stderr)
		}
		return stdout
	}
	a, b := filepath.Join(work, "a"), filepath.Join(work, "b")
	outA := run(a, "--max-steps", "4")
	run(b, "--max-steps", "2")
	run(b, "--max-steps", "4", "--resume-from-checkpoint", "last")
	if !strings.Contains(outA, "perplexity") {
		t.Errorf("no validation perplexity in the output:\n%s", outA)
	}
	wa, wb := loadTensors(t, filepath.Join(a, "model.safetensors")), loadTensors(t, filepath.Join(b, "model.safetensors"))
	if len(wa) == 0 || len(wa) != len(wb) {
		t.Fatalf("%d vs %d tensors", len(wa), len(wb))
	}
	for name, x := range wa {
		y := wb[name]
		for i := range x {
			if x[i] != y[i] {
				t.Fatalf("%s differs after resume at %d: %v vs %v", name, i, x[i], y[i])
			}
		}
	}
	if _, ok := wa["cls.predictions.bias"]; !ok {
		t.Error("the saved model has no masked-LM head")
	}
}

func loadTensors(t *testing.T, path string) map[string][]float32 {
	t.Helper()
	f, err := safetensors.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]float32{}
	for _, n := range f.Names() {
		d, _, err := f.Float32(n)
		if err != nil {
			t.Fatal(err)
		}
		out[n] = append([]float32(nil), d...)
	}
	return out
}

func TestPretrainRefusesEarly(t *testing.T) {
	tiny := tinyModelDir(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--output-dir", t.TempDir()}, "--train-file is required"},
		{[]string{"--train-file", "x.txt", "--output-dir", t.TempDir()}, "give --model DIR"},
		{[]string{"--model", tiny, "--train-file", filepath.Join(tiny, "nope.txt"), "--output-dir", t.TempDir()}, "does not exist"},
		{[]string{"--model", tiny, "--train-file", filepath.Join(tiny, "vocab.txt"), "--output-dir", t.TempDir(), "--mlm-probability", "1.5"}, "--mlm-probability"},
	} {
		_, stderr, code := runCLI(t, append([]string{"pretrain"}, c.args...)...)
		if code == 0 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", c.args, code, stderr, c.want)
		}
	}
}
