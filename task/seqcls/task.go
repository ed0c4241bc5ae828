package seqcls

import (
	"context"
	"math/rand/v2"

	"github.com/medbert/medbert/bert"
	"github.com/medbert/medbert/metrics"
	"github.com/medbert/medbert/tensor"
	"github.com/medbert/medbert/tokenize"
	"github.com/medbert/medbert/train"
)

// Task is sequence classification for the Trainer: one feature row per
// example, cross-entropy (optionally class-weighted) on the
// sequence-classification logits, evaluation with metrics.Report.
type Task struct {
	Model     *bert.Model
	Tokenizer *tokenize.Tokenizer // written into saved model folders
	Labels    []string            // id2label order
	Train     []Features
	Eval      []Features // may be empty: no evaluation
	// EvalBatchSize bounds memory during evaluation.
	EvalBatchSize int
	// ClassWeights (len(Labels)) weight the cross-entropy as torch's
	// CrossEntropyLoss(weight=...); nil = unweighted.
	ClassWeights []float32

	// LastReport is the full report of the latest Evaluate.
	LastReport *metrics.Report
}

var _ train.Task = (*Task)(nil)

// padID is the tokenizer's [PAD] id, 0 (BERT's) without a tokenizer.
func (t *Task) padID() int {
	if t.Tokenizer == nil {
		return 0
	}
	return t.Tokenizer.PadID()
}

// Params implements train.Task.
func (t *Task) Params() []train.NamedParam { return train.ModelParams(t.Model) }

// SetSparseEmbeddingGrad implements train.SparseEmbeddingGrader.
func (t *Task) SetSparseEmbeddingGrad(on bool) bool { return t.Model.SetSparseEmbeddingGrad(on) }

// NumTrain implements train.Task: one feature row per example.
func (t *Task) NumTrain() int { return len(t.Train) }

// Loss implements train.Task: a training-mode forward (dropout on, seeded
// from rng) and the head's own loss (bert.Labels), which is HF's
// cross-entropy for single-label classification. With ClassWeights the
// weighted cross-entropy is computed here instead: the head follows HF's
// BertForSequenceClassification, whose loss takes no class weights
// (HF users subclass Trainer.compute_loss for them, as this does).
func (t *Task) Loss(idx []int, rng *rand.Rand) (*tensor.Tensor, error) {
	fs := make([]Features, len(idx))
	for i, j := range idx {
		fs[i] = t.Train[j]
	}
	labels := Labels(fs)
	dropout := rand.New(rand.NewPCG(rng.Uint64(), 0xd1b54a32d192ed03))
	opt := bert.Options{Grad: true, Dropout: dropout}
	if t.ClassWeights != nil {
		out, err := t.Model.Forward(Collate(fs, t.padID()), nil, opt)
		if err != nil {
			return nil, err
		}
		return tensor.CrossEntropy(out.Logits, labels, bert.IgnoreIndex, t.ClassWeights), nil
	}
	out, err := t.Model.Forward(Collate(fs, t.padID()), &bert.Labels{Class: labels}, opt)
	if err != nil {
		return nil, err
	}
	return out.Loss, nil
}

// Evaluate implements train.Task.
func (t *Task) Evaluate(ctx context.Context) (map[string]float64, bool, error) {
	if len(t.Eval) == 0 {
		return nil, false, nil
	}
	r, err := Evaluate(ctx, t.Model, t.Eval, t.Labels, t.padID(), t.EvalBatchSize, t.ClassWeights)
	if err != nil {
		return nil, false, err
	}
	t.LastReport = r.Report
	return ReportMetrics(r.Loss, r.Report), true, nil
}

// SaveModel implements train.Task: config.json, model.safetensors and the
// tokenizer files.
func (t *Task) SaveModel(dir string) error { return train.SaveModelDir(t.Model, t.Tokenizer, dir) }

// LoadWeights implements train.Task: the folder's weights are copied into
// the existing parameter tensors, so the optimizer's views stay valid.
func (t *Task) LoadWeights(dir string) error {
	return t.Model.CopyWeightsFrom(dir)
}
