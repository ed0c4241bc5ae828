package metrics

import (
	"errors"
	"math"
	"sort"
	"testing"
)

func bools(ys ...int) []bool {
	out := make([]bool, len(ys))
	for i, y := range ys {
		out[i] = y == 1
	}
	return out
}

func checkOP(t *testing.T, name string, op OperatingPoint, thr float64, tp, fp, fn, tn int) {
	t.Helper()
	if op.Threshold != thr || op.TP != tp || op.FP != fp || op.FN != fn || op.TN != tn {
		t.Errorf("%s: got thr %v tp %d fp %d fn %d tn %d, want %v %d %d %d %d",
			name, op.Threshold, op.TP, op.FP, op.FN, op.TN, thr, tp, fp, fn, tn)
	}
	near(t, name+" recall", op.Recall, float64(tp)/float64(tp+fn))
	near(t, name+" precision", op.Precision, float64(tp)/float64(tp+fp))
	if tn+fp == 0 {
		if op.Specificity != nil {
			t.Errorf("%s: specificity %v without negatives, want nil", name, *op.Specificity)
		}
	} else if op.Specificity == nil {
		t.Errorf("%s: specificity nil", name)
	} else {
		near(t, name+" specificity", *op.Specificity, float64(tn)/float64(tn+fp))
	}
}

func TestThresholdForRecallHand(t *testing.T) {
	pos := bools(1, 0, 1, 0, 1, 0)
	s := []float64{0.9, 0.8, 0.7, 0.4, 0.3, 0.1}
	// ceil(0.6·3) = 2nd highest positive = 0.7: tp 2, fp 1 (0.8).
	op, err := ThresholdForRecall(s, pos, 0.6)
	if err != nil {
		t.Fatal(err)
	}
	checkOP(t, "0.6", op, 0.7, 2, 1, 1, 2)
	op, _ = ThresholdForRecall(s, pos, 1)
	checkOP(t, "1.0", op, 0.3, 3, 2, 0, 1)
	// A target just above 2/3 needs all three.
	op, _ = ThresholdForRecall(s, pos, 0.67)
	checkOP(t, "0.67", op, 0.3, 3, 2, 0, 1)
}

// Ties cannot be split: the tied positives and the tied negative are all
// predicted positive, and recall overshoots the target.
func TestThresholdForRecallTies(t *testing.T) {
	pos := bools(1, 1, 1, 1, 0, 0)
	s := []float64{0.9, 0.5, 0.5, 0.2, 0.5, 0.1}
	op, err := ThresholdForRecall(s, pos, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	checkOP(t, "ties", op, 0.5, 3, 1, 1, 1)
	// 0.25 needs one positive: the top score alone.
	op, _ = ThresholdForRecall(s, pos, 0.25)
	checkOP(t, "top", op, 0.9, 1, 0, 3, 2)
}

// One-class data: without negatives the threshold is defined and
// specificity is nil; without positives it is ErrNoPositives.
func TestThresholdForRecallOneClass(t *testing.T) {
	op, err := ThresholdForRecall([]float64{0.4, 0.6, 0.8}, bools(1, 1, 1), 0.5)
	if err != nil {
		t.Fatal(err)
	}
	checkOP(t, "no negatives", op, 0.6, 2, 0, 1, 0)
	if op.Precision != 1 {
		t.Errorf("precision %v, want 1", op.Precision)
	}
	for name, c := range map[string]struct {
		s   []float64
		pos []bool
	}{"no positives": {[]float64{0.2, 0.9}, bools(0, 0)}, "empty": {nil, nil}} {
		if _, err := ThresholdForRecall(c.s, c.pos, 0.9); !errors.Is(err, ErrNoPositives) {
			t.Errorf("%s: err %v, want ErrNoPositives", name, err)
		}
	}
}

func TestThresholdForRecallErrors(t *testing.T) {
	s, pos := []float64{0.2, 0.9}, bools(0, 1)
	for _, target := range []float64{0, -0.1, 1.01, math.NaN()} {
		if _, err := ThresholdForRecall(s, pos, target); err == nil {
			t.Errorf("target %v accepted", target)
		}
	}
	if _, err := ThresholdForRecall(s, bools(1), 0.5); err == nil {
		t.Error("length mismatch accepted")
	}
	if _, err := ThresholdForRecall([]float64{math.NaN(), 0.3}, pos, 0.5); err == nil {
		t.Error("NaN score accepted")
	}
}

// Against the naive definition: the k-th highest positive score, k the
// smallest count with k/P >= target.
func TestThresholdForRecallNaive(t *testing.T) {
	seed := uint64(7)
	next := func() uint64 { seed = seed*6364136223846793005 + 1442695040888963407; return seed >> 33 }
	targets := []float64{0.1, 0.5, 0.7, 0.8, 0.9, 0.95, 1}
	for trial := 0; trial < 200; trial++ {
		n := 1 + int(next()%40)
		s := make([]float64, n)
		pos := make([]bool, n)
		var ps []float64
		for i := range s {
			s[i] = float64(next()%11) / 10
			pos[i] = next()%3 != 0
			if pos[i] {
				ps = append(ps, s[i])
			}
		}
		target := targets[trial%len(targets)]
		op, err := ThresholdForRecall(s, pos, target)
		if len(ps) == 0 {
			if !errors.Is(err, ErrNoPositives) {
				t.Fatalf("trial %d: err %v", trial, err)
			}
			continue
		}
		sort.Sort(sort.Reverse(sort.Float64Slice(ps)))
		k := 1
		for float64(k)/float64(len(ps)) < target {
			k++
		}
		if err != nil || op.Threshold != ps[k-1] {
			t.Fatalf("trial %d target %v: got %v (%v), naive %v", trial, target, op.Threshold, err, ps[k-1])
		}
		tp, fp := 0, 0
		for i := range s {
			if s[i] >= op.Threshold {
				if pos[i] {
					tp++
				} else {
					fp++
				}
			}
		}
		if tp != op.TP || fp != op.FP {
			t.Fatalf("trial %d: counts %d/%d, reapplied %d/%d", trial, op.TP, op.FP, tp, fp)
		}
	}
}
