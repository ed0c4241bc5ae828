package qa

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/medbert/medbert/bert"
	"github.com/medbert/medbert/tensor"
	"github.com/medbert/medbert/tokenize"
	"github.com/medbert/medbert/train"
)

// Task is extractive question answering for the Trainer. One training row
// is one window, so an example with a long context gives several.
type Task struct {
	Model     *bert.Model
	Tokenizer *tokenize.Tokenizer
	Options   Options
	Train     []Feature
	// Eval are the evaluation questions (may be empty: no evaluation).
	Eval []Example

	evalFeats []Feature
	// LastReport is the report of the latest Evaluate.
	LastReport *Report
}

var _ train.Task = (*Task)(nil)

// NewTask encodes the training and evaluation examples for m, whose head
// must be question answering.
func NewTask(m *bert.Model, tok *tokenize.Tokenizer, trainEx, evalEx []Example, opt Options) (*Task, error) {
	if m.QA == nil {
		return nil, fmt.Errorf("question answering needs a %s model, not %s", bert.ClassName(bert.HeadQA), bert.ClassName(m.Head))
	}
	opt = opt.withDefaults()
	t := &Task{Model: m, Tokenizer: tok, Options: opt, Eval: evalEx}
	var err error
	if t.Train, err = Featurize(tok, trainEx, opt); err != nil {
		return nil, err
	}
	if t.evalFeats, err = Featurize(tok, evalEx, opt); err != nil {
		return nil, err
	}
	return t, nil
}

// Params implements train.Task.
func (t *Task) Params() []train.NamedParam { return train.ModelParams(t.Model) }

// SetSparseEmbeddingGrad implements train.SparseEmbeddingGrader.
func (t *Task) SetSparseEmbeddingGrad(on bool) bool { return t.Model.SetSparseEmbeddingGrad(on) }

// NumTrain implements train.Task: the number of training windows.
func (t *Task) NumTrain() int { return len(t.Train) }

// Loss implements train.Task: the head's own loss (mean of the start and
// end cross-entropies) of a training-mode forward, dropout drawn from rng.
// The batch is padded to a multiple of 8 tokens; as in HF, whose QA head
// does not mask padding, pad positions take part in the softmax (run_qa
// pads every window to max_seq_length).
func (t *Task) Loss(idx []int, rng *rand.Rand) (*tensor.Tensor, error) {
	fs := make([]*Feature, len(idx))
	lb := &bert.Labels{Start: make([]int, len(idx)), End: make([]int, len(idx))}
	for i, j := range idx {
		fs[i] = &t.Train[j]
		lb.Start[i], lb.End[i] = t.Train[j].Start, t.Train[j].End
	}
	dropout := rand.New(rand.NewPCG(rng.Uint64(), 0x9a_5e5d_0002))
	out, err := t.Model.Forward(collate(fs, t.Tokenizer.PadID(), trainPadMultiple, t.Model.Config.MaxPositionEmbeddings), lb, bert.Options{Grad: true, Dropout: dropout})
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

// SaveModel implements train.Task.
func (t *Task) SaveModel(dir string) error { return train.SaveModelDir(t.Model, t.Tokenizer, dir) }

// LoadWeights implements train.Task.
func (t *Task) LoadWeights(dir string) error { return t.Model.CopyWeightsFrom(dir) }
