package seqcls

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/medbert/medbert/bert"
	"github.com/medbert/medbert/data"
	"github.com/medbert/medbert/metrics"
)

// EvalResult is what an evaluation pass produces.
type EvalResult struct {
	Loss   float64 // mean (weighted) cross-entropy, as the training loss
	Probs  [][]float64
	Logits [][]float32
	Report *metrics.Report
}

// Evaluate computes logits, probabilities, loss and the metrics report for
// labelled features. weights (nil: none) weight the loss as in training.
func Evaluate(ctx context.Context, m *bert.Model, fs []Features, labels []string, padID, batchSize int, weights []float32) (*EvalResult, error) {
	if len(fs) == 0 {
		return nil, errors.New("no examples to evaluate")
	}
	lg, err := Logits(ctx, m, fs, padID, batchSize)
	if err != nil {
		return nil, err
	}
	res := &EvalResult{Logits: lg, Probs: make([][]float64, len(fs))}
	var num, den float64
	for i, f := range fs {
		p := Softmax(lg[i])
		res.Probs[i] = p
		w := 1.0
		if weights != nil {
			w = float64(weights[f.Label])
		}
		num += -w * math.Log(math.Max(p[f.Label], 1e-300))
		den += w
	}
	if den > 0 {
		res.Loss = num / den
	}
	res.Report, err = metrics.NewReport(Labels(fs), nil, res.Probs, labels)
	if err != nil {
		return nil, err
	}
	return res, nil
}

// ReportMetrics flattens a report into the eval_* numbers logged in
// trainer_state.json (names as in the eval --json output).
func ReportMetrics(loss float64, r *metrics.Report) map[string]float64 {
	m := map[string]float64{
		"loss": loss, "accuracy": r.Accuracy,
		"precision_macro": r.PrecisionMacro, "recall_macro": r.RecallMacro, "f1_macro": r.F1Macro,
		"precision_weighted": r.PrecisionWeighted, "recall_weighted": r.RecallWeighted, "f1_weighted": r.F1Weighted,
		"f1_micro": r.F1Micro, "num_samples": float64(r.Examples),
	}
	if r.AUCROC != nil {
		m["auc_roc"] = *r.AUCROC
	}
	return m
}

// MetricNames are the names ReportMetrics can produce, for checking
// --metric-for-best-model before any training.
var MetricNames = []string{"loss", "accuracy", "precision_macro", "recall_macro", "f1_macro",
	"precision_weighted", "recall_weighted", "f1_weighted", "f1_micro", "num_samples", "auc_roc"}

// BalancedWeights is sklearn's compute_class_weight("balanced") over the
// examples' labels: n_samples / (n_classes · count_c); classes absent from
// the data get 1. Labels unknown to the vocabulary are not counted.
func BalancedWeights(exs []data.Example, labels *data.Labels) []float64 {
	k := labels.Len()
	counts := make([]int, k)
	for _, e := range exs {
		if id, ok := labels.ID(e.Label); ok {
			counts[id]++
		}
	}
	w := make([]float64, k)
	for c, n := range counts {
		if n == 0 {
			w[c] = 1
			continue
		}
		w[c] = float64(len(exs)) / float64(k*n)
	}
	return w
}

// ThresholdReport is the report of a binary classifier that predicts the
// positive label pos when its probability is >= threshold (instead of the
// argmax): an operating point chosen for recall or precision.
func ThresholdReport(yTrue []int, probs [][]float64, labels []string, pos int, threshold float64) (*metrics.Report, error) {
	if len(labels) != 2 || pos < 0 || pos > 1 {
		return nil, fmt.Errorf("a decision threshold needs a binary model and a positive label id 0 or 1 (labels %v, positive %d)", labels, pos)
	}
	return metrics.NewReport(yTrue, ThresholdPredictions(probs, pos, threshold), probs, labels)
}

// ThresholdPredictions are a binary classifier's class ids when it
// predicts pos for probs[i][pos] >= threshold and the other class else.
func ThresholdPredictions(probs [][]float64, pos int, threshold float64) []int {
	yPred := make([]int, len(probs))
	for i, p := range probs {
		yPred[i] = 1 - pos
		if p[pos] >= threshold {
			yPred[i] = pos
		}
	}
	return yPred
}
