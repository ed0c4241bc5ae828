package seqcls

import (
	"math"
	"testing"

	"github.com/medbert/medbert/data"
	"github.com/medbert/medbert/metrics"
)

func TestCompare(t *testing.T) {
	mk := func(lg [][]float32, acc, f1 float64) *EvalResult {
		return &EvalResult{Logits: lg, Report: &metrics.Report{Accuracy: acc, F1Macro: f1}}
	}
	q := mk([][]float32{{1, 2}, {3, 0}, {0.5, 0.4}}, 0.5, 0.40)
	ref := mk([][]float32{{1.1, 2}, {3, 0}, {0.4, 0.5}}, 0.6, 0.425)
	c, err := Compare(q, ref)
	if err != nil {
		t.Fatal(err)
	}
	if c.Agree != 2 || math.Abs(c.MaxAbsLogit-0.1) > 1e-6 || math.Abs(c.MeanAbsLogit-0.3/6) > 1e-6 || math.Abs(c.F1MacroDropPts-2.5) > 1e-9 {
		t.Errorf("%+v", c)
	}
	if _, err := Compare(q, mk(nil, 0, 0)); err == nil {
		t.Error("different example counts: no error")
	}
}

func TestBalancedWeights(t *testing.T) {
	// sklearn compute_class_weight("balanced", classes=[0,1,2], y=[0,0,0,1]):
	// n/(k*count) = 4/(3*3), 4/(3*1); an absent class gets 1.
	exs := []data.Example{{Label: "a"}, {Label: "a"}, {Label: "a"}, {Label: "b"}}
	labels, _ := data.NewLabels([]string{"a", "b", "c"})
	w := BalancedWeights(exs, labels)
	want := []float64{4.0 / 9, 4.0 / 3, 1}
	for i := range want {
		if math.Abs(w[i]-want[i]) > 1e-15 {
			t.Fatalf("weights %v, want %v", w, want)
		}
	}
}

func TestThresholdReport(t *testing.T) {
	y := []int{1, 1, 0, 0}
	p := [][]float64{{.2, .8}, {.6, .4}, {.7, .3}, {.9, .1}}
	// threshold 0.3 on label 1: predictions 1, 1, 1, 0 -> accuracy 3/4.
	r, err := ThresholdReport(y, p, []string{"neg", "pos"}, 1, 0.3)
	if err != nil || r.Accuracy != 0.75 {
		t.Fatalf("accuracy %v (%v), want 0.75", r.Accuracy, err)
	}
	// Label 0 positive at 0.65: P(0) = .2 .6 .7 .9 gives 1, 1, 0, 0 -> all right.
	if r, _ := ThresholdReport(y, p, []string{"neg", "pos"}, 0, 0.65); r.Accuracy != 1 {
		t.Errorf("positive 0: accuracy %v", r.Accuracy)
	}
	if _, err := ThresholdReport(y, p, []string{"a", "b", "c"}, 1, 0.5); err == nil {
		t.Error("three labels accepted")
	}
}
