package pipeline

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medbert/medbert/bert"
	"github.com/medbert/medbert/task/seqcls"
	"github.com/medbert/medbert/tokenize"
)

// binaryFolder saves a randomly initialised binary classifier (labels
// absent, present) on the tiny config and vocabulary.
func binaryFolder(t *testing.T) string {
	t.Helper()
	src := tinyFolder(t)
	cfg, err := bert.LoadConfig(filepath.Join(src, bert.FileConfig))
	if err != nil {
		t.Fatal(err)
	}
	v, err := tokenize.LoadVocab(filepath.Join(src, "vocab.txt"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewClassifier(cfg, v, []string{"absent", "present"}, Options{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := p.Save(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestThresholdSavedLoadedAndApplied(t *testing.T) {
	dir := binaryFolder(t)
	ctx := context.Background()
	p, err := Load(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Threshold != nil {
		t.Fatalf("a folder without %s loaded threshold %+v", ThresholdFile, p.Threshold)
	}
	in := []Input{{Text: "chest pain"}, {Text: "no complaints"}, {Text: "fever", TextPair: "since Monday"}}
	argmax, err := p.Classify(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	// A threshold just above input 0's P(present) calls it absent, just
	// below calls it present, whatever the argmax said.
	pp := argmax[0].Scores[1]
	rec := 0.9
	for _, c := range []struct {
		value float64
		want  string
	}{{pp + 1e-9, "absent"}, {pp, "present"}, {0, "present"}, {1.0000001, "absent"}} {
		th := Threshold{Label: "present", Value: math.Min(c.value, 1), TargetRecall: &rec, Data: "val.jsonl", Examples: 10}
		if c.value > 1 {
			th.Label, th.Value = "absent", 0 // everything absent
		}
		if err := SaveThreshold(dir, th); err != nil {
			t.Fatal(err)
		}
		q, err := Load(dir, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if q.Threshold == nil || *q.Threshold.TargetRecall != 0.9 || q.Threshold.Data != "val.jsonl" || q.Threshold.Value != th.Value {
			t.Fatalf("loaded threshold %+v, saved %+v", q.Threshold, th)
		}
		got, err := q.Classify(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if got[0].Label != c.want || got[0].Threshold == nil || got[0].Score != got[0].Scores[map[string]int{"absent": 0, "present": 1}[c.want]] {
			t.Errorf("threshold %+v: input 0 %s (%v), want %s", th, got[0].Label, got[0].Score, c.want)
		}
	}
	// A threshold naming a label the model lacks is refused at load.
	if err := SaveThreshold(dir, Threshold{Label: "urgent", Value: 0.5}); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir, Options{}); err == nil || !strings.Contains(err.Error(), ThresholdFile) {
		t.Errorf("unknown threshold label: %v", err)
	}
	os.WriteFile(filepath.Join(dir, ThresholdFile), []byte("0.5"), 0o644)
	if _, err := LoadThreshold(dir); err == nil || !strings.Contains(err.Error(), ThresholdFile) {
		t.Errorf("malformed threshold file: %v", err)
	}
}

// LongTextWindows: the scores are the mean of the windows' softmax
// probabilities, each window classified alone.
func TestClassifyWindowsMeanOfWindows(t *testing.T) {
	p, err := Load(tinyFolder(t), Options{MaxLength: 8, LongText: LongTextWindows, Stride: 2})
	if err != nil {
		t.Fatal(err)
	}
	long := Input{Text: "a b c d e f g h i j k l m n o p q r s t"}
	out, err := p.Classify(context.Background(), []Input{long, {Text: "a b"}})
	if err != nil {
		t.Fatal(err)
	}
	ws, err := seqcls.EncodeWindows(p.Tokenizer, long.Text, "", 8, 2, MaxWindows)
	if err != nil {
		t.Fatal(err)
	}
	// 20 letters, 6 per window, 4 new per window after the first: 5 windows.
	if len(ws) != 5 || out[0].Windows != 5 || out[1].Windows != 1 || out[0].Truncated || out[0].Tokens != 22 {
		t.Fatalf("windows %d, result %+v", len(ws), out[0])
	}
	mean := make([]float64, 3)
	for _, w := range ws {
		lg, err := seqcls.Logits(context.Background(), p.Model, []seqcls.Features{w}, 0, 1)
		if err != nil {
			t.Fatal(err)
		}
		for c, v := range seqcls.Softmax(lg[0]) {
			mean[c] += v / float64(len(ws))
		}
	}
	for c := range mean {
		if math.Abs(mean[c]-out[0].Scores[c]) > 1e-6 {
			t.Errorf("class %d: score %v, mean of windows %v", c, out[0].Scores[c], mean[c])
		}
	}
	p.LongText = LongTextTruncate
	tr, _ := p.Classify(context.Background(), []Input{long})
	if tr[0].Windows != 1 || !tr[0].Truncated {
		t.Errorf("truncate mode: %+v", tr[0])
	}
}

func FuzzParseThreshold(f *testing.F) {
	for _, s := range []string{"0.5", "urgent:0.9", "present:1", ":0.5", "0", "1e-3", "NaN", "a:b:0.2", "x:", "-0", "2"} {
		f.Add(s)
	}
	labels := []string{"absent", "present"}
	f.Fuzz(func(t *testing.T, s string) {
		th, err := ParseThreshold(s, labels, nil)
		if err != nil {
			return
		}
		if th.Check(labels) != nil || th.Value < 0 || th.Value > 1 {
			t.Fatalf("%q parsed to an invalid threshold %+v", s, th)
		}
		if _, err := ParseThreshold(s, nil, nil); err != nil {
			t.Fatalf("%q: valid with labels, invalid without: %v", s, err)
		}
	})
}
