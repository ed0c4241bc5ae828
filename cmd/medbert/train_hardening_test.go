package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/medbert/medbert/safetensors"
	"github.com/medbert/medbert/train"
)

// --resume-from-checkpoint last skips an incomplete newer checkpoint and
// says so; leftovers of killed saves are cleaned and named; an explicit
// incomplete checkpoint is refused with what it lacks.
func TestTrainResumeSkipsIncompleteCheckpoints(t *testing.T) {
	model := tinyModelDir(t)
	work := t.TempDir()
	trainF := filepath.Join(work, "train.jsonl")
	writeToyJSONL(t, trainF, 12, 5)
	out := filepath.Join(work, "out")
	common := []string{"train", "--model", model, "--train-file", trainF, "--output-dir", out, "--batch-size", "4", "--disable-tqdm"}
	if _, stderr, code := runCLI(t, append(common, "--max-steps", "2", "--save-steps", "1")...); code != 0 {
		t.Fatal(stderr)
	}
	broken := filepath.Join(out, train.CheckpointName(7))
	os.MkdirAll(broken, 0o755)
	os.WriteFile(filepath.Join(broken, "config.json"), []byte("{}"), 0o644)
	os.MkdirAll(filepath.Join(out, train.CheckpointName(8)+".tmp"), 0o755)

	_, stderr, code := runCLI(t, append(common, "--resume-from-checkpoint", broken, "--max-steps", "3")...)
	if code == 0 || !strings.Contains(stderr, "checkpoint-7 is incomplete") || !strings.Contains(stderr, "model weights") {
		t.Errorf("explicit incomplete checkpoint: exit %d, %q", code, stderr)
	}
	if !strings.Contains(stderr, "cleaned up checkpoint-8.tmp") {
		t.Errorf("stderr does not name the cleaned folder:\n%s", stderr)
	}
	_, stderr, code = runCLI(t, append(common, "--resume-from-checkpoint", "last", "--max-steps", "3")...)
	if code != 0 {
		t.Fatal(stderr)
	}
	if !strings.Contains(stderr, "skipping checkpoint-7 is incomplete") {
		t.Errorf("stderr does not name the skipped folder:\n%s", stderr)
	}
	if _, err := os.Stat(filepath.Join(out, train.CheckpointName(8)+".tmp")); !os.IsNotExist(err) {
		t.Error("checkpoint-8.tmp was not cleaned")
	}
	st, err := train.LoadState(filepath.Join(out, train.StateFile))
	if err != nil || st.GlobalStep != 3 {
		t.Errorf("resumed run ended at %+v (%v), want step 3", st, err)
	}
}

// A training set whose rows all carry one label is refused, saying why.
func TestTrainRefusesOneClass(t *testing.T) {
	work := t.TempDir()
	f := filepath.Join(work, "one.jsonl")
	os.WriteFile(f, []byte("{\"text\": \"a\", \"label\": \"x\"}\n{\"text\": \"b\", \"label\": \"x\"}\n"), 0o644)
	_, stderr, code := runCLI(t, "train", "--model", tinyModelDir(t), "--train-file", f, "--output-dir", filepath.Join(work, "o"), "--disable-tqdm")
	if code == 0 || !strings.Contains(stderr, "one class") || !strings.Contains(stderr, "one.jsonl") {
		t.Errorf("exit %d, %q", code, stderr)
	}
}

// --quoting selects TSV quote handling; --skip-bad-rows prints the line
// and row counts.
func TestQuotingAndSkipSummary(t *testing.T) {
	model := tinyModelDir(t)
	work := t.TempDir()
	var b strings.Builder
	b.WriteString("text\tlabel\n")
	for i := 0; i < 6; i++ {
		fmt.Fprintf(&b, "%c b\t%s\n", 'a'+i, tinyLabels[i%3])
	}
	b.WriteString("\" c\tNEUTRAL\nd e\tPOSITIVE\n")
	f := filepath.Join(work, "q.tsv")
	os.WriteFile(f, []byte(b.String()), 0o644)
	stdout, stderr, code := runCLI(t, "eval", "--model", model, "--data", f, "--skip-bad-rows")
	if code != 0 || !strings.Contains(stdout, "8 examples") || !strings.Contains(stderr, "q.tsv: read 9 lines: 8 rows") {
		t.Errorf("default quoting: exit %d\n%s\n%s", code, stdout, stderr)
	}
	_, stderr, code = runCLI(t, "eval", "--model", model, "--data", f, "--quoting", "csv")
	if code == 0 || !strings.Contains(stderr, "q.tsv:8") {
		t.Errorf("--quoting csv: exit %d, %q; want an error naming line 8", code, stderr)
	}
	_, stderr, code = runCLI(t, "eval", "--model", model, "--data", f, "--quoting", "excel")
	if code == 0 || !strings.Contains(stderr, "--quoting") {
		t.Errorf("--quoting excel: exit %d, %q", code, stderr)
	}
}

// No error of predict, eval or train shows a value from the data.
func TestDataValuesNeverInErrors(t *testing.T) {
	const marker = "SSN-123-45-6789"
	model := tinyModelDir(t)
	work := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(work, name)
		os.WriteFile(p, []byte(strings.ReplaceAll(content, "M", marker)), 0o644)
		return p
	}
	noHeader := write("nohdr.csv", "Patient M chest pain,urgent\nM,routine\n")
	badJSON := write("bad.jsonl", "{\"text\": \"M\", \"label\": [\"M\"]}\n")
	bigLabel := write("big.jsonl", "{\"text\": \"a\", \"label\": \"NEUTRAL\"}\n{\"text\": \"b\", \"label\": \"M M M M M M M M\"}\n")
	badType := write("type.jsonl", "{\"text\": {\"M\": 1}, \"label\": \"NEUTRAL\"}\n")
	cases := [][]string{
		{"train", "--model", model, "--train-file", noHeader, "--output-dir", filepath.Join(work, "o1")},
		{"train", "--model", model, "--train-file", badJSON, "--output-dir", filepath.Join(work, "o2")},
		{"train", "--model", model, "--train-file", badType, "--output-dir", filepath.Join(work, "o3")},
		{"eval", "--model", model, "--data", noHeader},
		{"eval", "--model", model, "--data", bigLabel},
		{"eval", "--model", model, "--data", badJSON, "--group-field", "M"},
		{"predict", "--model", model, "--in", noHeader},
		{"predict", "--model", model, "--in", badType},
	}
	for _, args := range cases {
		stdout, stderr, code := runCLI(t, args...)
		if code == 0 {
			t.Errorf("%v: exit 0", args[:2])
		}
		if strings.Contains(stderr, marker) || strings.Contains(stdout, marker) {
			t.Errorf("%v: output shows a data value:\n%s%s", args, stdout, stderr)
		}
	}
	for _, stdin := range []string{"{\"txt\": \"M\"}\n", "{\"text\": \"M\", \"text_pair\": 5}\n", "{M\n"} {
		var out, errb strings.Builder
		err := runPredict([]string{"--model", model, "--format", "jsonl"}, strings.NewReader(strings.ReplaceAll(stdin, "M", marker)), &out, &errb)
		if err == nil || strings.Contains(err.Error(), marker) || strings.Contains(errb.String(), marker) {
			t.Errorf("stdin %q: %v %q", stdin, err, errb.String())
		}
	}
}

// A NaN weight is refused at load naming the tensor; inspect warns.
func TestNonFiniteWeights(t *testing.T) {
	dir := tinyModelDir(t)
	path := filepath.Join(dir, "model.safetensors")
	f, err := safetensors.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	var ts []safetensors.Tensor
	for _, n := range f.Names() {
		d, s, err := f.Float32(n)
		if err != nil {
			t.Fatal(err)
		}
		d = slices.Clone(d)
		if n == "classifier.weight" {
			d[3] = float32(math.NaN())
		}
		ts = append(ts, safetensors.F32(n, s, d))
	}
	f.Close()
	if err := safetensors.Write(path, ts, nil); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := runCLI(t, "predict", "--model", dir, "chest pain")
	if code == 0 || !strings.Contains(stderr, `"classifier.weight"`) || !strings.Contains(stderr, "NaN") {
		t.Errorf("predict with a NaN weight: exit %d, %q", code, stderr)
	}
	stdout, stderr, code := runCLI(t, "inspect", "--no-tensors", dir)
	if code != 0 || !strings.Contains(stdout, `warning:       tensor "classifier.weight" has 1 NaN`) {
		t.Errorf("inspect: exit %d\n%s%s", code, stdout, stderr)
	}
}
