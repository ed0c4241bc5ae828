package pipeline

import (
	"context"
	"fmt"
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
	Label  string    // the most probable label (first on ties)
	Score  float64   // its probability
	Scores []float64 // softmax probability per label, in Labels order
	Logits []float32 // raw logits, in Labels order
	Labels []string  // label names (shared between results: do not modify)
	// Tokens is the input's length in tokens with [CLS]/[SEP], before
	// truncation; Truncated says it was cut to the pipeline's MaxLength.
	Tokens    int
	Truncated bool
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
// checked between batches. Safe for concurrent use: results equal those of
// the same calls made one after the other.
func (p *Pipeline) Classify(ctx context.Context, inputs []Input) ([]Classification, error) {
	if p.Task != TaskClassification || p.Model.SeqCls == nil {
		return nil, fmt.Errorf("classify: the model is a %s model (%s head), not a sequence classifier", p.Task, p.Model.Head)
	}
	feats := make([]seqcls.Features, len(inputs))
	for i, in := range inputs {
		if strings.TrimSpace(in.Text) == "" {
			return nil, fmt.Errorf("input %d: empty text", i)
		}
		f, err := seqcls.Encode(p.Tokenizer, in.Text, in.TextPair, p.MaxLength)
		if err != nil {
			return nil, fmt.Errorf("input %d: %w", i, err)
		}
		feats[i] = f
	}
	lg, err := seqcls.Logits(ctx, p.Model, feats, p.Tokenizer.PadID(), p.BatchSize)
	if err != nil {
		return nil, err
	}
	labels := p.Labels.Names()
	out := make([]Classification, len(inputs))
	for i, l := range lg {
		s := seqcls.Softmax(l)
		best := seqcls.Argmax(s)
		out[i] = Classification{Label: labels[best], Score: s[best], Scores: s, Logits: l, Labels: labels,
			Tokens: feats[i].Tokens, Truncated: feats[i].Truncated()}
	}
	return out, nil
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
