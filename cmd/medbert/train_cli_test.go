package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/medbert/medbert/internal/testmodel"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medbert/medbert/train"
)

// tinyModelDir is the tiny golden model with its vocabulary (testmodel).
func tinyModelDir(t *testing.T) string { return testmodel.Dir(t) }

var tinyLabels = []string{"NEGATIVE", "NEUTRAL", "POSITIVE"}

// writeToyJSONL writes n rows whose texts are letters drawn mostly from a
// label-specific range, so the tiny model can learn them.
func writeToyJSONL(t *testing.T, path string, n int, seed uint64) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 9))
	var b bytes.Buffer
	for i := 0; i < n; i++ {
		c := i % 3
		var words []string
		for j := 0; j < 4+r.IntN(8); j++ {
			ch := 'a' + rune(c*8+r.IntN(8))
			if r.IntN(4) == 0 {
				ch = 'a' + rune(r.IntN(26))
			}
			words = append(words, string(ch))
		}
		row, _ := json.Marshal(map[string]string{"text": strings.Join(words, " "), "label": tinyLabels[c]})
		b.Write(row)
		b.WriteByte('\n')
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func runCLI(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return out.String(), errb.String(), code
}

func TestTrainEvalPredictTiny(t *testing.T) {
	model := tinyModelDir(t)
	work := t.TempDir()
	trainF, valF := filepath.Join(work, "train.jsonl"), filepath.Join(work, "val.jsonl")
	writeToyJSONL(t, trainF, 48, 1)
	writeToyJSONL(t, valF, 15, 2)
	out := filepath.Join(work, "out")
	stdout, stderr, code := runCLI(t, "train", "--model", model, "--train-file", trainF, "--validation-file", valF,
		"--output-dir", out, "--num-train-epochs", "4", "--batch-size", "8", "--learning-rate", "3e-3",
		"--eval-strategy", "epoch", "--save-strategy", "epoch", "--save-total-limit", "1", "--logging-steps", "3",
		"--load-best-model-at-end", "--metric-for-best-model", "f1_macro", "--disable-tqdm", "--test-file", valF)
	if code != 0 {
		t.Fatalf("train exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, f := range []string{"config.json", "model.safetensors", "vocab.txt", "tokenizer_config.json",
		"trainer_state.json", "training_args.json", "metrics.jsonl", "eval_results.json", "test_results.json",
		"MODEL_CARD.md", "training_data_summary.json", "card_figures/training_loss.svg", "card_figures/reliability.svg"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("output lacks %s", f)
		}
	}
	st, err := train.LoadState(filepath.Join(out, train.StateFile))
	if err != nil {
		t.Fatal(err)
	}
	if st.GlobalStep != 24 || st.BestModelCheckpoint == nil {
		t.Fatalf("state: step %d best %v, want 24 steps (4 epochs x 6) and a best checkpoint", st.GlobalStep, st.BestModelCheckpoint)
	}
	cks, _ := train.ListCheckpoints(out)
	if len(cks) < 1 || len(cks) > 2 {
		t.Errorf("save_total_limit 1 left %v", cks)
	}
	if !strings.Contains(stdout, "confusion matrix") || !strings.Contains(stdout, "f1") {
		t.Errorf("train output lacks the metrics table:\n%s", stdout)
	}

	// eval on the same file: its JSON must match the best model, which
	// load_best_model_at_end restored and saved as the final model.
	rep := filepath.Join(work, "report.json")
	stdout, stderr, code = runCLI(t, "eval", "--model", out, "--data", valF, "--json", rep)
	if code != 0 {
		t.Fatalf("eval exit %d: %s", code, stderr)
	}
	var m map[string]any
	b, _ := os.ReadFile(rep)
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"accuracy", "precision_weighted", "recall_weighted", "f1_weighted", "precision_macro",
		"recall_macro", "f1_macro", "auc_roc", "per_class", "confusion_matrix", "loss"} {
		if _, ok := m[k]; !ok {
			t.Errorf("eval --json lacks %q", k)
		}
	}
	if got, want := m["f1_macro"].(float64), *st.BestMetric; math.Abs(got-want) > 1e-12 {
		t.Errorf("eval f1_macro %v, best checkpoint's %v", got, want)
	}
	if !strings.Contains(stdout, "confusion matrix") {
		t.Errorf("eval output lacks the confusion matrix:\n%s", stdout)
	}

	// predict: arguments and stdin give one JSON object per input.
	stdout, stderr, code = runCLI(t, "predict", "--model", out, "a b c", "q r s t")
	if code != 0 {
		t.Fatalf("predict exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 2 {
		t.Fatalf("predict printed %d lines:\n%s", len(lines), stdout)
	}
	for _, l := range lines {
		var p prediction
		if err := json.Unmarshal([]byte(l), &p); err != nil {
			t.Fatal(err)
		}
		var sum float64
		for _, v := range p.Scores {
			sum += v
		}
		if math.Abs(sum-1) > 1e-6 || len(p.Logits) != 3 || p.Scores[p.Label] != p.Score {
			t.Errorf("bad prediction %s", l)
		}
		best := 0
		for i := range p.Logits {
			if p.Logits[i] > p.Logits[best] {
				best = i
			}
		}
		if tinyLabels[best] != p.Label {
			t.Errorf("label %s is not the argmax of logits %v", p.Label, p.Logits)
		}
	}
	var sout bytes.Buffer
	if err := runPredict([]string{"--model", out}, strings.NewReader("a b c\nq r s t\n"), &sout, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if sout.String() != stdout {
		t.Errorf("stdin predictions differ from argument predictions:\n%s\n%s", sout.String(), stdout)
	}
}

func TestTrainResumeCLIMatchesUninterrupted(t *testing.T) {
	model := tinyModelDir(t)
	work := t.TempDir()
	trainF := filepath.Join(work, "train.jsonl")
	writeToyJSONL(t, trainF, 30, 3)
	common := []string{"--model", model, "--train-file", trainF, "--num-train-epochs", "2", "--batch-size", "4",
		"--gradient-accumulation-steps", "2", "--learning-rate", "2e-3", "--warmup-ratio", "0.1",
		"--weight-decay", "0.01", "--logging-steps", "2", "--disable-tqdm"}
	full := filepath.Join(work, "full")
	if _, e, code := runCLI(t, append([]string{"train", "--output-dir", full, "--save-strategy", "no"}, common...)...); code != 0 {
		t.Fatal(e)
	}
	// A run that saves at step 3, is stopped, and resumes from there
	// (checkpoint-3 is what Ctrl-C or a crash after step 3 would leave).
	part := filepath.Join(work, "part")
	if _, e, code := runCLI(t, append([]string{"train", "--output-dir", part, "--save-steps", "3"}, common...)...); code != 0 {
		t.Fatal(e)
	}
	ck := filepath.Join(part, train.CheckpointName(3))
	resumed := filepath.Join(work, "resumed")
	if err := os.MkdirAll(resumed, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, e, code := runCLI(t, append([]string{"train", "--output-dir", resumed, "--save-strategy", "no",
		"--resume-from-checkpoint", ck}, common...)...); code != 0 {
		t.Fatal(e)
	}
	a, _ := os.ReadFile(filepath.Join(full, "model.safetensors"))
	b, _ := os.ReadFile(filepath.Join(resumed, "model.safetensors"))
	c, _ := os.ReadFile(filepath.Join(model, "model.safetensors"))
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Fatal("resumed run's final weights differ from the uninterrupted run")
	}
	if bytes.Equal(a, c) {
		t.Fatal("training did not change the weights")
	}
}

func TestTrainMalformedDataFileLine(t *testing.T) {
	model := tinyModelDir(t)
	work := t.TempDir()
	cases := map[string]string{
		"bad.jsonl": "{\"text\": \"a b\", \"label\": \"NEUTRAL\"}\n{\"text\": \"c d\", \"label\": \"POSITIVE\"}\n{\"text\": \"e f\", \"label\": \n",
		"bad.csv":   "text,label\na b,NEUTRAL\n\"c d,POSITIVE\n",
		"nolab.tsv": "text\tlabel\na b\tNEUTRAL\nc d\t\n",
	}
	wantLine := map[string]string{"bad.jsonl": "bad.jsonl:3", "bad.csv": "bad.csv:3", "nolab.tsv": "nolab.tsv:3"}
	for name, content := range cases {
		p := filepath.Join(work, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		_, stderr, code := runCLI(t, "train", "--model", model, "--train-file", p, "--output-dir", filepath.Join(work, "o"+name), "--disable-tqdm")
		if code == 0 || !strings.Contains(stderr, wantLine[name]) {
			t.Errorf("%s: exit %d, stderr %q; want an error naming %s", name, code, stderr, wantLine[name])
		}
	}
	// An unknown label in eval names its line too.
	p := filepath.Join(work, "odd.jsonl")
	os.WriteFile(p, []byte("{\"text\": \"a\", \"label\": \"NEUTRAL\"}\n{\"text\": \"b\", \"label\": \"MAYBE\"}\n"), 0o644)
	_, stderr, code := runCLI(t, "eval", "--model", model, "--data", p)
	if code == 0 || !strings.Contains(stderr, "odd.jsonl:2") || !strings.Contains(stderr, "MAYBE") {
		t.Errorf("unknown label: exit %d, %q", code, stderr)
	}
}

func TestTrainFromScratchConfigVocab(t *testing.T) {
	model := tinyModelDir(t)
	work := t.TempDir()
	trainF := filepath.Join(work, "train.jsonl")
	var b strings.Builder
	for i := 0; i < 12; i++ {
		fmt.Fprintf(&b, "{\"text\": \"%c %c\", \"label\": \"%d\"}\n", 'a'+i%3, 'k'+i%3, 10*(i%3)+2)
	}
	os.WriteFile(trainF, []byte(b.String()), 0o644)
	out := filepath.Join(work, "out")
	_, stderr, code := runCLI(t, "train", "--config", filepath.Join(model, "config.json"), "--vocab", filepath.Join(model, "vocab.txt"),
		"--train-file", trainF, "--output-dir", out, "--max-steps", "3", "--class-weights", "balanced", "--disable-tqdm")
	if code != 0 {
		t.Fatal(stderr)
	}
	a, err := train.LoadArgs(filepath.Join(out, train.ArgsFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(a.ClassWeights) != 3 || a.ClassWeights[0] != 1 || a.MaxSteps != 3 {
		t.Errorf("training_args.json: class weights %v max_steps %d", a.ClassWeights, a.MaxSteps)
	}
	var cfg struct {
		ID2Label map[string]string `json:"id2label"`
	}
	cb, _ := os.ReadFile(filepath.Join(out, "config.json"))
	if err := json.Unmarshal(cb, &cfg); err != nil {
		t.Fatal(err)
	}
	// Labels 2, 12, 22 sort numerically, not as strings.
	if cfg.ID2Label["0"] != "2" || cfg.ID2Label["1"] != "12" || cfg.ID2Label["2"] != "22" {
		t.Errorf("id2label %v", cfg.ID2Label)
	}
	for _, f := range []string{"vocab.txt", "tokenizer_config.json", "model.safetensors"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("missing %s", f)
		}
	}
	// Existing checkpoints without --resume-from-checkpoint or
	// --overwrite-output-dir are refused.
	_, stderr, code = runCLI(t, "train", "--config", filepath.Join(model, "config.json"), "--vocab", filepath.Join(model, "vocab.txt"),
		"--train-file", trainF, "--output-dir", out, "--max-steps", "3", "--disable-tqdm")
	if code == 0 || !strings.Contains(stderr, "--resume-from-checkpoint last") {
		t.Errorf("reuse of an output dir: exit %d %q", code, stderr)
	}
}

// The tokenizer casing of a new model is decided like a model folder's
// (tokenize.InferLowerCase), said on stderr and saved explicitly; --lower
// and --no-lower override it for --config and --model alike.
func TestTrainCasingDecision(t *testing.T) {
	model := tinyModelDir(t)
	work := t.TempDir()
	// An uncased vocabulary with bert-base-uncased's two upper-case
	// symbols ("ℝ", "##ℝ"): still uncased.
	v, err := os.ReadFile(filepath.Join("..", "..", "testdata", "vocab", "bert-base-uncased-vocab.txt"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitN(string(v), "\n", 511)[:510]
	uncased := filepath.Join(work, "uncased-vocab.txt")
	os.WriteFile(uncased, []byte(strings.Join(append(lines, "ℝ", "##ℝ"), "\n")+"\n"), 0o644)
	trainF := filepath.Join(work, "train.jsonl")
	writeToyJSONL(t, trainF, 6, 1)
	doLower := func(dir string) bool {
		t.Helper()
		var c struct {
			DoLowerCase *bool `json:"do_lower_case"`
		}
		b, err := os.ReadFile(filepath.Join(dir, "tokenizer_config.json"))
		if err != nil || json.Unmarshal(b, &c) != nil || c.DoLowerCase == nil {
			t.Fatalf("%s: tokenizer_config.json without do_lower_case (%v)", dir, err)
		}
		return *c.DoLowerCase
	}
	for i, c := range []struct {
		args   []string
		lower  bool
		stderr string
	}{
		{[]string{"--config", filepath.Join(model, "config.json"), "--vocab", uncased}, true, "tokenizer: lower-casing (no tokenizer_config.json: the vocabulary has only 2 tokens"},
		{[]string{"--config", filepath.Join(model, "config.json"), "--vocab", uncased, "--no-lower"}, false, "tokenizer: keeping case (override: do_lower_case=false"},
		{[]string{"--model", model}, false, "tokenizer: keeping case (no tokenizer_config.json: the vocabulary has 113 tokens"},
		{[]string{"--model", model, "--lower"}, true, "tokenizer: lower-casing (override: do_lower_case=true"},
	} {
		out := filepath.Join(work, fmt.Sprint("out", i))
		args := append([]string{"train", "--train-file", trainF, "--output-dir", out, "--max-steps", "1", "--disable-tqdm"}, c.args...)
		_, stderr, code := runCLI(t, args...)
		if code != 0 {
			t.Fatalf("%v: %s", c.args, stderr)
		}
		if !strings.Contains(stderr, c.stderr) {
			t.Errorf("%v: stderr %q, want %q", c.args, stderr, c.stderr)
		}
		if i == 2 { // the dataset summary, in tokens of the model's tokenizer
			for _, want := range []string{"train.jsonl: rows: 6\n", "    NEUTRAL        2   33.3%\n", "truncated at 64 tokens: 0 (0.0%)"} {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr lacks the summary line %q:\n%s", want, stderr)
				}
			}
		}
		if got := doLower(out); got != c.lower {
			t.Errorf("%v: saved do_lower_case %v, want %v", c.args, got, c.lower)
		}
	}
	for _, bad := range [][]string{
		{"--model", model, "--vocab", uncased},
		{"--model", model, "--lower", "--no-lower"},
	} {
		args := append([]string{"train", "--train-file", trainF, "--output-dir", filepath.Join(work, "bad")}, bad...)
		if _, stderr, code := runCLI(t, args...); code == 0 || strings.Contains(stderr, "goroutine") {
			t.Errorf("%v: exit %d, %q; want a one-line error", bad, code, stderr)
		}
	}
}

// Bad training flags are reported before any data is read or model loaded.
func TestTrainFlagsCheckedFirst(t *testing.T) {
	_, stderr, code := runCLI(t, "train", "--model", "no-such-model", "--train-file", "no-such.jsonl",
		"--output-dir", t.TempDir(), "--lr-scheduler-type", "foo")
	if code == 0 || !strings.Contains(stderr, "lr_scheduler_type") || strings.Contains(stderr, "no-such") {
		t.Errorf("exit %d, %q; want the lr_scheduler_type error first", code, stderr)
	}
}

// eval's operating point on a binary task: a threshold near 0 calls every
// example positive, near 1 none (the tiny model's probabilities stay near
// 0.5), and --target-recall 1 must reach recall 1 on the positive label;
// the JSON report records the threshold and the positive label.
func TestEvalThresholdCLI(t *testing.T) {
	model := tinyModelDir(t)
	work := t.TempDir()
	data := filepath.Join(work, "bin.jsonl")
	var b strings.Builder
	for i := 0; i < 10; i++ {
		fmt.Fprintf(&b, "{\"text\": \"%c %c %c\", \"label\": \"%s\"}\n", 'a'+i, 'k'+i%5, 'p'+i%3, []string{"absent", "present"}[i%2])
	}
	os.WriteFile(data, []byte(b.String()), 0o644)
	out := filepath.Join(work, "m")
	if _, stderr, code := runCLI(t, "train", "--model", model, "--train-file", data, "--output-dir", out, "--max-steps", "2", "--disable-tqdm"); code != 0 {
		t.Fatal(stderr)
	}
	report := func(args ...string) map[string]any {
		t.Helper()
		js := filepath.Join(work, "r.json")
		stdout, stderr, code := runCLI(t, append([]string{"eval", "--model", out, "--data", data, "--json", js}, args...)...)
		if code != 0 {
			t.Fatalf("eval %v: %s", args, stderr)
		}
		if !strings.Contains(stdout, "decision threshold") || !strings.Contains(stdout, "on P(present)") {
			t.Errorf("eval %v does not state the threshold:\n%s", args, stdout)
		}
		var m map[string]any
		jb, _ := os.ReadFile(js)
		if err := json.Unmarshal(jb, &m); err != nil {
			t.Fatal(err)
		}
		if m["positive_label"] != "present" {
			t.Errorf("eval %v: positive_label %v", args, m["positive_label"])
		}
		return m
	}
	cm := func(m map[string]any) string { return fmt.Sprint(m["confusion_matrix"]) }
	if m := report("--threshold", "0.001"); cm(m) != "[[0 5] [0 5]]" || m["threshold"] != 0.001 {
		t.Errorf("threshold 0.001: confusion %s threshold %v, want everything positive", cm(m), m["threshold"])
	}
	// An explicit 0 is a real threshold (everything positive), not "unset".
	if m := report("--threshold", "0"); cm(m) != "[[0 5] [0 5]]" || m["threshold"] != 0.0 {
		t.Errorf("threshold 0: confusion %s threshold %v, want everything positive", cm(m), m["threshold"])
	}
	if m := report("--threshold", "0.999"); cm(m) != "[[5 0] [5 0]]" {
		t.Errorf("threshold 0.999: confusion %s, want everything negative", cm(m))
	}
	m := report("--target-recall", "1")
	pc := m["per_class"].([]any)[1].(map[string]any)
	if pc["label"] != "present" || pc["recall"] != 1.0 {
		t.Errorf("target recall 1: per_class %v", pc)
	}
	if th, _ := m["threshold"].(float64); th <= 0 || th >= 1 {
		t.Errorf("target recall 1: threshold %v", m["threshold"])
	}
}

// TestTrainDeid: --deid replaces the identifiers of the training text
// before tokenizing, says how many, and the model card records it.
func TestTrainDeid(t *testing.T) {
	model := tinyModelDir(t)
	work := t.TempDir()
	trainF := filepath.Join(work, "train.jsonl")
	rows := `{"text": "Seen by Dr. Johnson on 03/14/2023, chest pain", "label": "urgent"}
{"text": "Mrs. Alvarez called 617-555-0199, feels well", "label": "routine"}
{"text": "severe bleeding, MRN 4432109", "label": "urgent"}
{"text": "annual check, no complaints", "label": "routine"}
`
	if err := os.WriteFile(trainF, []byte(rows), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(work, "out")
	_, stderr, code := runCLI(t, "train", "--model", model, "--train-file", trainF, "--output-dir", out,
		"--num-train-epochs", "1", "--batch-size", "2", "--disable-tqdm", "--deid")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "identifiers replaced") {
		t.Errorf("no de-identification count on stderr:\n%s", stderr)
	}
	md, err := os.ReadFile(filepath.Join(out, "MODEL_CARD.md"))
	if err != nil || !strings.Contains(string(md), "applied to the text fields") {
		t.Errorf("the card does not record de-identification: %v", err)
	}
	if _, stderr, code := runCLI(t, "train", "--model", model, "--train-file", trainF, "--output-dir", out+"2", "--deid-redact-years"); code == 0 || !strings.Contains(stderr, "goes with --deid") {
		t.Errorf("--deid-redact-years alone: exit %d %q", code, stderr)
	}
}
