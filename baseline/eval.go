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
	ytr, yev, err := encodeLabels(train, eval, labels)
	if err != nil {
		return nil, err
	}
	m, err := Train(texts(train), ytr, len(labels), opts)
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

// encodeLabels maps the labels of both splits to ids in labels (id2label).
func encodeLabels(train, eval []data.Example, labels []string) (ytr, yev []int, err error) {
	vocab, err := data.NewLabels(labels)
	if err != nil {
		return nil, nil, fmt.Errorf("baseline: %w", err)
	}
	if ytr, err = vocab.Encode(train); err != nil {
		return nil, nil, err
	}
	if yev, err = vocab.Encode(eval); err != nil {
		return nil, nil, err
	}
	return ytr, yev, nil
}

// MajorityReport scores the trivial classifier that always predicts the
// most frequent training label (lowest id on ties): the floor any model
// must clear.
func MajorityReport(train, eval []data.Example, labels []string) (*metrics.Report, error) {
	ytr, yev, err := encodeLabels(train, eval, labels)
	if err != nil {
		return nil, err
	}
	count := make([]int, len(labels))
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
