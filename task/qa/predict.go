package qa

import (
	"context"
	"fmt"

	"github.com/medbert/medbert/bert"
	"github.com/medbert/medbert/tokenize"
)

// Predictor answers questions about contexts. It only reads the model, so
// one Predictor serves concurrent calls.
type Predictor struct {
	Model     *bert.Model
	Tokenizer *tokenize.Tokenizer
	Options   Options
}

// Answer returns the best answer to question in context (Impossible when
// the model, with Options.AllowImpossible, finds none).
func (p *Predictor) Answer(ctx context.Context, question, context string) (Prediction, error) {
	nb, err := p.NBest(ctx, []Example{{Question: question, Context: context}})
	if err != nil {
		return Prediction{}, err
	}
	return nb[0][0], nil
}

// NBest returns up to Options.NBest answers per example, best first (at
// least one: the null answer when no span is valid).
func (p *Predictor) NBest(ctx context.Context, exs []Example) ([][]Prediction, error) {
	if p.Model.QA == nil {
		return nil, fmt.Errorf("question answering needs a %s model, not %s", bert.ClassName(bert.HeadQA), bert.ClassName(p.Model.Head))
	}
	opt := p.Options.withDefaults()
	feats, err := Featurize(p.Tokenizer, exs, opt)
	if err != nil {
		return nil, err
	}
	logits, err := runLogits(ctx, p.Model, p.Tokenizer.PadID(), feats, opt.BatchSize)
	if err != nil {
		return nil, err
	}
	return postprocessAll(exs, feats, logits, opt), nil
}
