package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/medbert/medbert/data"
	"github.com/medbert/medbert/pipeline"
	"github.com/medbert/medbert/task/seqcls"
)

// binaryModel trains the tiny model for two steps on a binary task
// (absent/present) and returns the model folder and its training file.
func binaryModel(t *testing.T) (model, dataFile string) {
	t.Helper()
	work := t.TempDir()
	dataFile = filepath.Join(work, "bin.jsonl")
	var b strings.Builder
	for i := 0; i < 10; i++ {
		fmt.Fprintf(&b, "{\"text\": \"%c %c %c\", \"label\": \"%s\", \"sex\": \"%s\"}\n", 'a'+i, 'k'+i%5, 'p'+i%3,
			[]string{"absent", "present"}[i%2], []string{"F", "M"}[i%3%2])
	}
	os.WriteFile(dataFile, []byte(b.String()), 0o644)
	model = filepath.Join(work, "m")
	if _, stderr, code := runCLI(t, "train", "--model", tinyModelDir(t), "--train-file", dataFile, "--output-dir", model,
		"--max-steps", "2", "--disable-tqdm"); code != 0 {
		t.Fatal(stderr)
	}
	return model, dataFile
}

// predictLines runs predict with stdin and decodes its output lines.
func predictLines(t *testing.T, stdin string, args ...string) ([]map[string]any, string) {
	t.Helper()
	var out, errb bytes.Buffer
	if err := runPredict(args, strings.NewReader(stdin), &out, &errb); err != nil {
		t.Fatalf("predict %v: %v\n%s", args, err, errb.String())
	}
	var res []map[string]any
	dec := json.NewDecoder(&out)
	for dec.More() {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			t.Fatal(err)
		}
		res = append(res, m)
	}
	return res, errb.String()
}

func logits(m map[string]any) []float64 {
	var out []float64
	for _, v := range m["logits"].([]any) {
		out = append(out, v.(float64))
	}
	return out
}

// --in reads JSONL, CSV and TSV; every other field comes back with its
// prediction, in input order, and the predictions equal those of the
// same texts given as arguments.
func TestPredictFileInputPassThrough(t *testing.T) {
	model, _ := binaryModel(t)
	work := t.TempDir()
	texts := []string{"a b c", "q r s", "k l m n"}
	want, _ := predictLines(t, "", append([]string{"--model", model}, texts...)...)
	files := map[string]string{
		"in.jsonl": "{\"id\": 17, \"text\": \"a b c\", \"ward\": \"ICU\"}\n\n{\"id\": 4, \"text\": \"q r s\", \"label\": \"x\"}\n{\"text\": \"k l m n\", \"id\": 9}\n",
		"in.csv":   "id,text,ward\n17,a b c,ICU\n4,q r s,\n9,\"k l m n\",ER\n",
		"in.tsv":   "ward\tid\tnote\nICU\t17\ta b c\n\"\t4\tq r s\nER\t9\tk l m n\n",
	}
	for name, content := range files {
		p := filepath.Join(work, name)
		os.WriteFile(p, []byte(content), 0o644)
		args := []string{"--model", model, "--in", p}
		if name == "in.tsv" {
			args = append(args, "--text-column", "note")
		}
		got, stderr := predictLines(t, "", args...)
		if len(got) != 3 {
			t.Fatalf("%s: %d predictions, want 3\n%s", name, len(got), stderr)
		}
		for i, g := range got {
			if fmt.Sprint(g["id"]) != []string{"17", "4", "9"}[i] || !slices.Equal(logits(g), logits(want[i])) || g["label"] != want[i]["label"] {
				t.Errorf("%s row %d: %v, want id %d and %v", name, i, g, []int{17, 4, 9}[i], want[i])
			}
			if _, ok := g["text"]; ok {
				t.Errorf("%s row %d: the text was echoed", name, i)
			}
		}
		if name == "in.jsonl" && (got[1]["input_label"] != "x" || got[0]["ward"] != "ICU" || !strings.Contains(stderr, "skipped 1 empty line")) {
			t.Errorf("jsonl pass-through: %v, stderr %q", got, stderr)
		}
		if name == "in.tsv" && got[1]["ward"] != `"` {
			t.Errorf("tsv: a lone quote is data, got %v", got[1])
		}
	}
}

// A JSON line with text and text_pair is a pair, featurized exactly as
// pair training featurizes it; its fields come back.
func TestPredictPairMatchesTrainingFeaturization(t *testing.T) {
	model, _ := binaryModel(t)
	q, ctx := "is it x", strings.Repeat("a b c d e f g h i j k l m n o p q r s t u v w x y z ", 4)
	line, _ := json.Marshal(map[string]any{"id": "p1", "text": q, "text_pair": ctx})
	got, stderr := predictLines(t, string(line)+"\n", "--model", model)
	if len(got) != 1 || got[0]["id"] != "p1" {
		t.Fatalf("%v\n%s", got, stderr)
	}
	p, err := pipeline.Load(model, pipeline.Options{})
	if err != nil {
		t.Fatal(err)
	}
	fs, err := p.Featurize([]data.Example{{Text: q, TextPair: ctx, Label: "absent"}})
	if err != nil {
		t.Fatal(err)
	}
	lg, err := seqcls.Logits(context.Background(), p.Model, fs, p.Tokenizer.PadID(), 1)
	if err != nil {
		t.Fatal(err)
	}
	for c, v := range lg[0] {
		if float32(logits(got[0])[c]) != v {
			t.Fatalf("pair logits %v, training featurization's %v", logits(got[0]), lg[0])
		}
	}
	single, _ := predictLines(t, "", "--model", model, q)
	if slices.Equal(logits(single[0]), logits(got[0])) {
		t.Error("the pair was classified as its first text alone")
	}
	// --format text reads the same line as text.
	asText, _ := predictLines(t, string(line)+"\n", "--model", model, "--format", "text")
	if _, ok := asText[0]["id"]; ok || slices.Equal(logits(asText[0]), logits(got[0])) {
		t.Errorf("--format text read the line as JSON: %v", asText[0])
	}
	if got[0]["truncated"] != true || !strings.Contains(stderr, "max length 64 tokens") {
		t.Errorf("a 110-token pair at max length 64: %v, stderr %q", got[0], stderr)
	}
}

// eval --save-threshold writes the operating point into the model folder;
// predict applies and reports it by default, --threshold overrides it,
// none ignores it.
func TestThresholdSavedByEvalUsedByPredict(t *testing.T) {
	model, dataFile := binaryModel(t)
	if _, stderr, code := runCLI(t, "eval", "--model", model, "--data", dataFile, "--target-recall", "1", "--save-threshold"); code != 0 {
		t.Fatal(stderr)
	}
	th, err := pipeline.LoadThreshold(model)
	if err != nil || th == nil || th.Label != "present" || th.TargetRecall == nil || *th.TargetRecall != 1 ||
		th.Data != "bin.jsonl" || th.Examples != 10 || th.Recall == nil || *th.Recall != 1 {
		t.Fatalf("saved threshold %+v (%v)", th, err)
	}
	texts := []string{"a k p", "b l q", "c m r", "d n p", "e k q", "f l r"}
	got, stderr := predictLines(t, "", append([]string{"--model", model}, texts...)...)
	if !strings.Contains(stderr, fmt.Sprintf("decision threshold %.6g on P(present)", th.Value)) || !strings.Contains(stderr, "chosen on bin.jsonl") {
		t.Errorf("predict does not say which threshold it applies: %q", stderr)
	}
	argmax, _ := predictLines(t, "", append([]string{"--model", model, "--threshold", "none"}, texts...)...)
	for i, g := range got {
		pp := g["scores"].(map[string]any)["present"].(float64)
		want := "absent"
		if pp >= th.Value {
			want = "present"
		}
		tr, _ := g["threshold"].(map[string]any)
		if g["label"] != want || tr["value"] != th.Value || tr["label"] != "present" {
			t.Errorf("input %d: %v; P(present) %v threshold %v: want %s", i, g, pp, th.Value, want)
		}
		if _, ok := argmax[i]["threshold"]; ok {
			t.Errorf("--threshold none still reports a threshold: %v", argmax[i])
		}
	}
	for _, c := range []struct{ arg, want string }{{"0", "present"}, {"1.0", "absent"}, {"absent:0", "absent"}} {
		out, _ := predictLines(t, "", "--model", model, "--threshold", c.arg, texts[0])
		if out[0]["label"] != c.want {
			t.Errorf("--threshold %s: %v, want %s", c.arg, out[0], c.want)
		}
	}
	var errb bytes.Buffer
	if err := runPredict([]string{"--model", model, "--threshold", "urgent:0.5", "x"}, nil, &bytes.Buffer{}, &errb); err == nil ||
		!strings.Contains(err.Error(), "urgent") {
		t.Errorf("unknown threshold label: %v", err)
	}
}

// Empty stdin lines are skipped and counted; --top-k lists the best
// labels; the max length is printed once.
func TestPredictStdinTopKAndEmptyLines(t *testing.T) {
	model := tinyModelDir(t)
	got, stderr := predictLines(t, "a b\n\n   \nc d\n", "--model", model, "--top-k", "2", "--max-seq-length", "16")
	if len(got) != 2 || !strings.Contains(stderr, "skipped 2 empty lines") || strings.Count(stderr, "max length 16 tokens") != 1 {
		t.Fatalf("%d predictions, stderr %q", len(got), stderr)
	}
	for _, g := range got {
		top := g["top_k"].([]any)
		a, b := top[0].(map[string]any), top[1].(map[string]any)
		if len(top) != 2 || a["label"] != g["label"] || a["score"].(float64) < b["score"].(float64) ||
			g["scores"].(map[string]any)[b["label"].(string)] != b["score"] {
			t.Errorf("top_k %v of %v", top, g)
		}
	}
}

// --long-text windows reads a long text in windows and averages them.
func TestPredictLongTextWindows(t *testing.T) {
	model := tinyModelDir(t)
	long := strings.Repeat("a b c d e f g h ", 6)
	got, stderr := predictLines(t, "", "--model", model, "--max-seq-length", "16", "--long-text", "windows", "--stride", "4", long)
	p, err := pipeline.Load(model, pipeline.Options{MaxLength: 16, LongText: pipeline.LongTextWindows, Stride: 4})
	if err != nil {
		t.Fatal(err)
	}
	ref, err := p.Classify(context.Background(), []pipeline.Input{{Text: long}})
	if err != nil {
		t.Fatal(err)
	}
	// 48 tokens, 14 per window, 10 new per later window: 5 windows.
	if got[0]["windows"] != 5.0 || got[0]["truncated"] == true || !strings.Contains(stderr, "windows sharing 4 tokens") {
		t.Fatalf("%v\n%s", got[0], stderr)
	}
	for i, l := range ref[0].Labels {
		if s := got[0]["scores"].(map[string]any)[l].(float64); math.Abs(s-ref[0].Scores[i]) > 1e-12 {
			t.Errorf("%s: %v, pipeline %v", l, s, ref[0].Scores[i])
		}
	}
	var errb bytes.Buffer
	if err := runPredict([]string{"--model", model, "--long-text", "chunks", "x"}, nil, &bytes.Buffer{}, &errb); err == nil ||
		!strings.Contains(err.Error(), "truncate or windows") {
		t.Errorf("--long-text chunks: %v", err)
	}
}
