package baseline

import (
	"fmt"

	"github.com/medbert/medbert/data"
	"github.com/medbert/medbert/metrics"
)

// Result is a trained model and its report on an evaluation set.
type Result struct {
	Model  *Model
	Probs  [][]float64
	Report *metrics.Report
}

// texts returns the model input of each example: the text, plus the pair
// text for pair tasks (bag-of-words has no segments, so they are joined).
func texts(ex []data.Example) []string {
	out := make([]string, len(ex))
	for i, e := range ex {
		out[i] = e.Text
		if e.TextPair != "" {
			out[i] += " " + e.TextPair
		}
	}
	return out
}

// Evaluate trains on train and reports on eval. labels is id2label; every
// example label must be in it.
func Evaluate(train, eval []data.Example, labels []string, opts Options) (*Result, error) {
	vocab, err := data.NewLabels(labels)
	if err != nil {
		return nil, fmt.Errorf("baseline: %w", err)
	}
	ytr, err := vocab.Encode(train)
	if err != nil {
		return nil, err
	}
	yev, err := vocab.Encode(eval)
	if err != nil {
		return nil, err
	}
	m, err := Train(texts(train), ytr, vocab.Len(), opts)
	if err != nil {
		return nil, err
	}
	probs := m.PredictProba(texts(eval))
	rep, err := metrics.NewReport(yev, m.Predict(texts(eval)), probs, labels)
	if err != nil {
		return nil, err
	}
	return &Result{Model: m, Probs: probs, Report: rep}, nil
}

// MajorityReport scores the trivial classifier that always predicts the
// most frequent training label (lowest id on ties): the floor any model
// must clear.
func MajorityReport(train, eval []data.Example, labels []string) (*metrics.Report, error) {
	vocab, err := data.NewLabels(labels)
	if err != nil {
		return nil, err
	}
	ytr, err := vocab.Encode(train)
	if err != nil {
		return nil, err
	}
	yev, err := vocab.Encode(eval)
	if err != nil {
		return nil, err
	}
	count := make([]int, vocab.Len())
	for _, y := range ytr {
		count[y]++
	}
	best := 0
	for c := range count {
		if count[c] > count[best] {
			best = c
		}
	}
	pred := make([]int, len(yev))
	for i := range pred {
		pred[i] = best
	}
	return metrics.NewReport(yev, pred, nil, labels)
}
