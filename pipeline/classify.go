package pipeline

import (
	"context"
	"fmt"
	"github.com/medbert/medbert/metrics"
	"sort"
	"strings"

	"github.com/medbert/medbert/data"
	"github.com/medbert/medbert/task/seqcls"
)

// Input is one text to classify, or a pair (TextPair non-empty) encoded
// as [CLS] Text [SEP] TextPair [SEP], as pair training featurizes it.
type Input struct {
	Text     string `json:"text"`
	TextPair string `json:"text_pair,omitempty"`
}

// Classification is the answer for one Input.
type Classification struct {
	// Label is the decision: the most probable label (first on ties), or,
	// when the pipeline has a Threshold, the label it picks (see Decide).
	Label  string
	Score  float64   // Label's probability
	Scores []float64 // softmax probability per label, in Labels order
	Logits []float32 // raw logits, in Labels order (LongText windows: their mean)
	Labels []string  // label names (shared between results: do not modify)
	// Tokens is the input's length in tokens with [CLS]/[SEP], before
	// truncation; Truncated says it was cut to the pipeline's MaxLength.
	// Inputs are cut before tokenization (tokenize.CutForTokens), so for
	// a truncated input Tokens is a lower bound.
	Tokens    int
	Truncated bool
	// Windows is the number of windows read (LongTextWindows), else 1.
	Windows int
	// Threshold is the operating point that decided Label; nil = argmax.
	Threshold *Threshold
}

// Score is one label with its probability.
type Score struct {
	Label string  `json:"label"`
	Score float64 `json:"score"`
}

// Top returns the k most probable labels, high to low (label order on
// ties); k <= 0 or larger than the label count returns them all.
func (c Classification) Top(k int) []Score {
	out := make([]Score, len(c.Scores))
	for i, p := range c.Scores {
		out[i] = Score{c.Labels[i], p}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Score > out[j].Score })
	if k > 0 && k < len(out) {
		out = out[:k]
	}
	return out
}

// Classify runs a sequence-classification pipeline over inputs, in
// batches of BatchSize, and returns one result per input in order. ctx is
// checked between batches. An input longer than MaxLength is truncated, or
// with LongText = LongTextWindows read in windows whose probabilities are
// averaged. A pipeline with a Threshold decides binary labels by it. Safe
// for concurrent use: results equal those of the same calls made one after
// the other.
func (p *Pipeline) Classify(ctx context.Context, inputs []Input) ([]Classification, error) {
	if p.Task != TaskClassification || p.Model.SeqCls == nil {
		return nil, fmt.Errorf("classify: the model is a %s model (%s head), not a sequence classifier", p.Task, p.Model.Head)
	}
	var feats []seqcls.Features
	first := make([]int, len(inputs)+1) // inputs[i] has feats[first[i]:first[i+1]]
	for i, in := range inputs {
		if strings.TrimSpace(in.Text) == "" {
			return nil, fmt.Errorf("input %d: empty text", i)
		}
		fs, err := p.encode(in)
		if err != nil {
			return nil, fmt.Errorf("input %d: %w", i, err)
		}
		feats = append(feats, fs...)
		first[i+1] = len(feats)
	}
	lg, err := seqcls.Logits(ctx, p.Model, feats, p.Tokenizer.PadID(), p.BatchSize)
	if err != nil {
		return nil, err
	}
	labels := p.Labels.Names()
	out := make([]Classification, len(inputs))
	for i := range inputs {
		s, l := meanScores(lg[first[i]:first[i+1]])
		best := metrics.ArgmaxRow(s)
		f := feats[first[i]]
		out[i] = Classification{Label: labels[best], Score: s[best], Scores: s, Logits: l, Labels: labels,
			Tokens: f.Tokens, Truncated: f.Truncated() && (first[i+1]-first[i] == 1 || first[i+1]-first[i] == MaxWindows), Windows: first[i+1] - first[i]}.Decide(p.Threshold)
	}
	return out, nil
}

// encode featurizes one input: one truncated window, or several under
// LongTextWindows.
func (p *Pipeline) encode(in Input) ([]seqcls.Features, error) {
	if p.LongText != LongTextWindows {
		f, err := seqcls.Encode(p.Tokenizer, in.Text, in.TextPair, p.MaxLength)
		return []seqcls.Features{f}, err
	}
	stride := p.Stride
	if stride == 0 {
		stride = p.MaxLength / 4
	}
	return seqcls.EncodeWindows(p.Tokenizer, in.Text, in.TextPair, p.MaxLength, stride, MaxWindows)
}

// meanScores averages the softmax probabilities (and the logits) of an
// input's windows: each window votes with equal weight.
func meanScores(rows [][]float32) ([]float64, []float32) {
	s := make([]float64, len(rows[0]))
	l := make([]float32, len(rows[0]))
	for _, r := range rows {
		for j, v := range seqcls.Softmax(r) {
			s[j] += v / float64(len(rows))
		}
		for j, v := range r {
			l[j] += v / float32(len(rows))
		}
	}
	if len(rows) == 1 {
		return seqcls.Softmax(rows[0]), rows[0]
	}
	return s, l
}

// Featurize tokenizes labelled examples for this classifier (its labels
// and MaxLength), as training does.
func (p *Pipeline) Featurize(exs []data.Example) ([]seqcls.Features, error) {
	if p.Labels == nil {
		return nil, fmt.Errorf("the %s model has no labels", p.Task)
	}
	return seqcls.Featurize(p.Tokenizer, p.Labels, exs, p.MaxLength)
}

// Evaluate classifies labelled examples and returns the loss, the
// probabilities and the metrics report (metrics.Report).
func (p *Pipeline) Evaluate(ctx context.Context, exs []data.Example) (*seqcls.EvalResult, error) {
	if p.Task != TaskClassification || p.Model.SeqCls == nil {
		return nil, fmt.Errorf("evaluate: the model is a %s model (%s head), not a sequence classifier", p.Task, p.Model.Head)
	}
	fs, err := p.Featurize(exs)
	if err != nil {
		return nil, err
	}
	return seqcls.Evaluate(ctx, p.Model, fs, p.Labels.Names(), p.Tokenizer.PadID(), p.BatchSize, nil)
}
