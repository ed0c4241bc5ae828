package main

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/medbert/medbert/train"
)

// Flags after positional texts are flags, for predict and tokenize alike;
// "--" ends the flags.
func TestFlagsAnywhere(t *testing.T) {
	model := tinyModelDir(t)
	lines := func(s string) int { return strings.Count(strings.TrimSpace(s), "\n") + 1 }
	stdout, stderr, code := runCLI(t, "predict", "--model", model, "chest pain", "--batch-size", "4")
	if code != 0 || lines(stdout) != 1 {
		t.Errorf("predict TEXT --batch-size 4: exit %d, %d lines\n%s%s", code, lines(stdout), stdout, stderr)
	}
	stdout, stderr, code = runCLI(t, "predict", "chest pain", "--model", model)
	if code != 0 || lines(stdout) != 1 {
		t.Errorf("predict TEXT --model M: exit %d\n%s%s", code, stdout, stderr)
	}
	stdout, stderr, code = runCLI(t, "predict", "--model", model, "--", "--batch-size", "-x")
	if code != 0 || lines(stdout) != 2 {
		t.Errorf("predict -- TEXTS: exit %d, want two predictions\n%s%s", code, stdout, stderr)
	}
	vocab := filepath.Join(model, "vocab.txt")
	stdout, stderr, code = runCLI(t, "tokenize", "--vocab", vocab, "fever", "--pair", "cough")
	var out tokenizeOutput
	if code != 0 || json.Unmarshal([]byte(stdout), &out) != nil || len(out.TypeIDs) == 0 || out.TypeIDs[len(out.TypeIDs)-1] != 1 {
		t.Errorf("tokenize TEXT --pair X: exit %d, want one pair encoding\n%s%s", code, stdout, stderr)
	}
}

// A mistyped flag gets a suggestion and a one-line pointer, not the whole
// help, and exit status 2.
func TestUnknownFlagSuggests(t *testing.T) {
	_, stderr, code := runCLI(t, "predict", "--model", "m", "--batchsize", "4", "text")
	if code != 2 || !strings.Contains(stderr, "did you mean --batch-size?") || strings.Count(stderr, "\n") > 2 ||
		!strings.Contains(stderr, "medbert predict --help") {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
	_, stderr, code = runCLI(t, "train", "--lerning-rate", "1e-3")
	if code != 2 || !strings.Contains(stderr, "did you mean --learning-rate?") || strings.Count(stderr, "\n") > 2 {
		t.Errorf("train: exit %d, stderr:\n%s", code, stderr)
	}
}

// A wrong metric name fails at once, before any data is read or model
// loaded, with the closest real name.
func TestMetricCheckedBeforeLoading(t *testing.T) {
	model := tinyModelDir(t)
	work := t.TempDir()
	trainF := filepath.Join(work, "train.jsonl")
	writeToyJSONL(t, trainF, 8, 1)
	start := time.Now()
	_, stderr, code := runCLI(t, "train", "--model", model, "--train-file", trainF, "--validation-file", trainF,
		"--output-dir", filepath.Join(work, "out"), "--eval-strategy", "epoch", "--metric-for-best-model", "f1-macro")
	took := time.Since(start)
	if code == 0 || !strings.Contains(stderr, "did you mean f1_macro?") {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
	if strings.Contains(stderr, "tokenizer:") || strings.Contains(stderr, "rows:") {
		t.Errorf("data or model was loaded before the metric check:\n%s", stderr)
	}
	if took > 100*time.Millisecond {
		t.Errorf("took %v, want < 100ms", took)
	}
	if _, err := os.Stat(filepath.Join(work, "out")); err == nil {
		t.Error("output folder created")
	}
}

// Errors naming a wrong path say what belongs there.
func TestPathErrorsSayWhatIsExpected(t *testing.T) {
	model := tinyModelDir(t)
	work := t.TempDir()
	trainF := filepath.Join(work, "train.jsonl")
	writeToyJSONL(t, trainF, 8, 1)
	cfg := filepath.Join(model, "config.json")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"train", "--model", cfg, "--train-file", trainF, "--output-dir", filepath.Join(work, "o")},
			"is a file; --model wants a model folder (or use --config"},
		{[]string{"train", "--model", model, "--train-file", filepath.Join(work, "nope.jsonl"), "--output-dir", filepath.Join(work, "o")},
			"does not exist; --train-file wants"},
		{[]string{"train", "--model", model, "--train-file", work, "--output-dir", filepath.Join(work, "o")},
			"is a folder; --train-file wants"},
		{[]string{"train", "--model", model, "--train-file", trainF, "--output-dir", trainF}, "is a file; --output-dir wants"},
		{[]string{"predict", "--model", cfg, "text"}, "is a file; --model wants a model folder"},
		{[]string{"eval", "--model", model, "--data", work}, "is a folder; --data wants"},
	} {
		_, stderr, code := runCLI(t, c.args...)
		if code == 0 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", c.args[:3], code, stderr, c.want)
		}
	}
}

func TestHelpUnknownAndVersion(t *testing.T) {
	if code, _, stderr := medbert(t, "help", "nosuch"); code != 2 || !strings.Contains(stderr, `unknown command "nosuch"`) {
		t.Errorf("help nosuch: exit %d, stderr %q", code, stderr)
	}
	code, stdout, _ := medbert(t, "--version")
	if code != 0 || !strings.Contains(stdout, "built with go1.") || strings.Contains(stdout, "(devel)") {
		t.Errorf("--version: exit %d, %q", code, stdout)
	}
}

// Bad flag values are reported before any file is opened, in every
// command that reads data or a model.
func TestFlagValuesCheckedBeforeWork(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"baseline", "--eval-split", "dev"}, "--eval-split"},
		{[]string{"train", "--train-file", missing, "stray"}, `unexpected argument "stray"`},
		{[]string{"baseline", "--train-file", missing + ".jsonl", "--test-file", missing + ".jsonl", "--format", "xml"}, "unknown data format"},
		{[]string{"tokenize", "--vocab", missing, "--padding", "maybe", "text"}, "maybe"},
		{[]string{"eval", "--model", missing, "--data", missing, "--threshold", "2"}, "[0, 1]"},
		{[]string{"eval", "--model", missing, "--data", missing, "--json", filepath.Join(missing, "r.json")}, "--json"},
		{[]string{"predict", "--model", missing, "--batch-size", "0", "x"}, "--batch-size"},
		{[]string{"predict", "--model", missing, "--threshold", "urgent:1.5", "x"}, "--threshold"},
		{[]string{"predict", "--model", missing, "--long-text", "chunks", "x"}, "--long-text"},
		{[]string{"predict", "--model", missing, "--top-k", "-1", "x"}, "--top-k"},
		{[]string{"predict", "--model", missing, "--in", missing + ".jsonl"}, "--in"},
		{[]string{"predict", "--model", missing, "--quoting", "excel", "--in", missing + ".tsv"}, "--quoting"},
		{[]string{"eval", "--model", missing, "--data", missing, "--target-recall", "0"}, "--target-recall"},
		{[]string{"eval", "--model", missing, "--data", missing, "--group-field", "sex,,age"}, "--group-field"},
		{[]string{"eval", "--model", missing, "--data", missing, "--min-group-size", "0"}, "--min-group-size"},
		{[]string{"train", "--model", missing, "--train-file", missing, "--output-dir", missing, "--quoting", "x"}, "--quoting"},
	} {
		_, stderr, code := runCLI(t, c.args...)
		if code == 0 || !strings.Contains(stderr, c.want) || strings.Contains(stderr, "no such file") {
			t.Errorf("%v: exit %d, stderr %q, want %q first", c.args, code, stderr, c.want)
		}
	}
}

// parseFlags never panics, keeps every positional argument in order, and
// treats everything after "--" as positional.
func FuzzParseFlags(f *testing.F) {
	f.Add("--model\x00m\x00text\x00--batch-size\x004")
	f.Add("a\x00--\x00--model\x00-x")
	f.Add("--batch-size=3\x00--lower\x00b\x00--model")
	f.Add("-\x00--nosuch\x00c")
	f.Fuzz(func(t *testing.T, joined string) {
		args := strings.Split(joined, "\x00")
		fs := newFlags("fuzz", "fuzz", io.Discard)
		fs.String("model", "", "")
		fs.Int("batch-size", 8, "")
		fs.Bool("lower", false, "")
		err := parseFlags(fs, args)
		if err != nil {
			return
		}
		// Expected positionals: non-flag args outside flag values, plus
		// all after the first "--".
		var want []string
		for i := 0; i < len(args); i++ {
			a := args[i]
			if a == "--" {
				want = append(want, args[i+1:]...)
				break
			}
			if len(a) < 2 || a[0] != '-' {
				want = append(want, a)
				continue
			}
			name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
			if !hasValue && name != "lower" && name != "h" && name != "help" {
				i++
			}
		}
		if got := fs.Args(); !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
			t.Fatalf("args %q: positional %q, want %q", args, got, want)
		}
	})
}

func TestMaxSeqLengthCheckedAgainstConfig(t *testing.T) {
	model := tinyModelDir(t)
	_, stderr, code := runCLI(t, "predict", "--model", model, "--max-seq-length", "65", "x")
	if code == 0 || !strings.Contains(stderr, "--max-seq-length: max length 65 must be in [2, 64]") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

// Each task checks --metric-for-best-model against its own metric names:
// NER's seqeval f1 and per-type names, QA's exact_match, and a typo is
// still refused with the task's closest name.
func TestMetricCheckedPerTask(t *testing.T) {
	c := &trainCmd{a: train.Defaults()}
	for _, tc := range []struct {
		task, metric string
		ok           bool
		want         string
	}{
		{taskNER, "f1", true, ""},
		{taskNER, "eval_Disease_f1", true, ""},
		{taskNER, "f1_micro", false, "did you mean f1_macro?"},
		{taskQA, "exact_match", true, ""},
		{taskQA, "exact-match", false, "did you mean exact_match?"},
		{taskClassification, "f1", false, "not a metric of this task"},
		{taskClassification, "f1_weighted", true, ""},
	} {
		c.taskKind, c.a.MetricForBestModel = tc.task, tc.metric
		err := c.checkMetric()
		if (err == nil) != tc.ok || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("--task %s --metric-for-best-model %s: %v", tc.task, tc.metric, err)
		}
	}
}
