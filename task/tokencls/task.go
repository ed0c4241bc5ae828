package tokencls

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/medbert/medbert/bert"
	"github.com/medbert/medbert/data"
	"github.com/medbert/medbert/tensor"
	"github.com/medbert/medbert/tokenize"
	"github.com/medbert/medbert/train"
)

// Task is token classification for the Trainer. The label names are the
// model config's id2label; one training row is one window of a sentence.
type Task struct {
	Model     *bert.Model
	Tokenizer *tokenize.Tokenizer
	Options   Options
	Train     []Feature
	// Eval are the evaluation sentences (may be empty: no evaluation).
	Eval []data.Sentence

	evalFeats []Feature
	// LastReport is the report of the latest Evaluate.
	LastReport *Report
}

var _ train.Task = (*Task)(nil)

// NewTask featurizes the training and evaluation sentences for m, whose
// head must be token classification with the labels the tags use.
func NewTask(m *bert.Model, tok *tokenize.Tokenizer, trainSents, evalSents []data.Sentence, opt Options) (*Task, error) {
	if m.TokenCls == nil {
		return nil, fmt.Errorf("token classification needs a %s model, not %s", bert.ClassName(bert.HeadTokenCls), bert.ClassName(m.Head))
	}
	opt, err := opt.withDefaults()
	if err != nil {
		return nil, err
	}
	l2i := label2id(m.Config.Labels())
	t := &Task{Model: m, Tokenizer: tok, Options: opt, Eval: evalSents}
	if t.Train, err = Featurize(tok, trainSents, l2i, opt); err != nil {
		return nil, err
	}
	if t.evalFeats, err = Featurize(tok, evalSents, l2i, opt); err != nil {
		return nil, err
	}
	return t, nil
}

func label2id(names []string) map[string]int {
	m := make(map[string]int, len(names))
	for i, n := range names {
		m[n] = i
	}
	return m
}

// Params implements train.Task.
func (t *Task) Params() []train.NamedParam { return train.ModelParams(t.Model) }

// SetSparseEmbeddingGrad implements train.SparseEmbeddingGrader.
func (t *Task) SetSparseEmbeddingGrad(on bool) bool { return t.Model.SetSparseEmbeddingGrad(on) }

// NumTrain implements train.Task: the number of training windows.
func (t *Task) NumTrain() int { return len(t.Train) }

// Loss implements train.Task: the head's own loss (cross-entropy over the
// labelled pieces) of a training-mode forward, dropout drawn from rng.
func (t *Task) Loss(idx []int, rng *rand.Rand) (*tensor.Tensor, error) {
	fs := make([]*Feature, len(idx))
	for i, j := range idx {
		fs[i] = &t.Train[j]
	}
	in, labels := collate(fs, t.Tokenizer.PadID(), trainPadMultiple, t.Model.Config.MaxPositionEmbeddings)
	dropout := rand.New(rand.NewPCG(rng.Uint64(), 0x70c3_c1a5_5e5d_0001))
	out, err := t.Model.Forward(in, &bert.Labels{Class: labels}, bert.Options{Grad: true, Dropout: dropout})
	if err != nil {
		return nil, err
	}
	return out.Loss, nil
}

// Evaluate implements train.Task with Report.Metrics.
func (t *Task) Evaluate(ctx context.Context) (map[string]float64, bool, error) {
	if len(t.Eval) == 0 {
		return nil, false, nil
	}
	r, err := evaluateFeatures(ctx, t.Model, t.Tokenizer.PadID(), t.Eval, t.evalFeats, t.Options)
	if err != nil {
		return nil, false, err
	}
	t.LastReport = r
	return r.Metrics(), true, nil
}

// SaveModel implements train.Task: config.json (with id2label),
// model.safetensors and the tokenizer files.
func (t *Task) SaveModel(dir string) error { return train.SaveModelDir(t.Model, t.Tokenizer, dir) }

// LoadWeights implements train.Task.
func (t *Task) LoadWeights(dir string) error { return t.Model.CopyWeightsFrom(dir) }
