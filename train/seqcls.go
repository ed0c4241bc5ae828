package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/medbert/medbert/bert"
	"github.com/medbert/medbert/metrics"
	"github.com/medbert/medbert/tensor"
)

// Example is one labelled sequence-classification input: a text, an
// optional second text (pair tasks such as PubMedQA question + context) and
// a label id (index into the label names).
type Example struct {
	Text, Pair string
	Label      int
}

// Features is a tokenized example: [CLS] a [SEP] (b [SEP]) ids and segment
// ids, truncated but not padded (batches pad to their longest row).
type Features struct {
	IDs, TypeIDs []int
	Label        int
}

// EncodeFunc tokenizes one example into ids with special tokens and
// segment ids, truncated to maxLen tokens (longest-first for pairs, as HF).
type EncodeFunc func(text, pair string, maxLen int) (ids, typeIDs []int, err error)

// Featurize tokenizes examples once, up front, so epochs do not repeat the
// work.
func Featurize(enc EncodeFunc, exs []Example, maxLen int) ([]Features, error) {
	out := make([]Features, len(exs))
	for i, e := range exs {
		ids, tt, err := enc(e.Text, e.Pair, maxLen)
		if err != nil {
			return nil, fmt.Errorf("example %d: %w", i, err)
		}
		out[i] = Features{IDs: ids, TypeIDs: tt, Label: e.Label}
	}
	return out, nil
}

// Collate pads features to the longest row: input ids with padID,
// attention mask 1 for real tokens, token type 0 for pads (HF
// DataCollatorWithPadding).
func Collate(fs []Features, padID int) *bert.Input {
	s := 0
	for _, f := range fs {
		s = max(s, len(f.IDs))
	}
	in := &bert.Input{Batch: len(fs), Seq: s,
		InputIDs: make([]int, len(fs)*s), AttentionMask: make([]int, len(fs)*s), TokenTypeIDs: make([]int, len(fs)*s)}
	for b, f := range fs {
		row := in.InputIDs[b*s : (b+1)*s]
		copy(row, f.IDs)
		for j := len(f.IDs); j < s; j++ {
			row[j] = padID
		}
		copy(in.TokenTypeIDs[b*s:], f.TypeIDs)
		for j := range f.IDs {
			in.AttentionMask[b*s+j] = 1
		}
	}
	return in
}

// SeqCls is sequence classification (single texts or pairs) with a BERT
// sequence-classification model: cross-entropy with optional class
// weights, evaluation with the metrics package's Report.
type SeqCls struct {
	Model  *bert.Model
	Labels []string // id2label order
	Train  []Features
	Eval   []Features // may be empty: no evaluation
	PadID  int
	// EvalBatchSize bounds memory during evaluation.
	EvalBatchSize int
	// ClassWeights (len(Labels)) weight the cross-entropy as torch's
	// CrossEntropyLoss(weight=...); nil = unweighted.
	ClassWeights []float32
	// SaveTokenizer writes vocab.txt and tokenizer_config.json into a
	// model folder.
	SaveTokenizer func(dir string) error

	// LastReport is the full report of the latest Evaluate.
	LastReport *metrics.Report
}

var _ Task = (*SeqCls)(nil)

// Params implements Task.
func (t *SeqCls) Params() []NamedParam {
	ps := t.Model.Params()
	out := make([]NamedParam, len(ps))
	for i, p := range ps {
		out[i] = NamedParam{p.Name, p.T}
	}
	return out
}

// NumTrain implements Task.
func (t *SeqCls) NumTrain() int { return len(t.Train) }

// Loss implements Task: a training-mode forward (dropout on, seeded from
// rng) and the (weighted) cross-entropy of the seq-cls logits.
func (t *SeqCls) Loss(idx []int, rng *rand.Rand) (*tensor.Tensor, error) {
	fs := make([]Features, len(idx))
	labels := make([]int, len(idx))
	for i, j := range idx {
		fs[i] = t.Train[j]
		labels[i] = t.Train[j].Label
	}
	dropout := rand.New(rand.NewPCG(rng.Uint64(), 0xd1b54a32d192ed03))
	out, err := t.Model.Forward(Collate(fs, t.PadID), nil, bert.Options{Grad: true, Dropout: dropout})
	if err != nil {
		return nil, err
	}
	return tensor.CrossEntropy(out.Logits, labels, bert.IgnoreIndex, t.ClassWeights), nil
}

// Logits runs inference (eval mode, no graph) over features in batches of
// batchSize and returns one row of logits per feature.
func Logits(ctx context.Context, m *bert.Model, fs []Features, padID, batchSize int) ([][]float32, error) {
	if batchSize < 1 {
		batchSize = 8
	}
	out := make([][]float32, 0, len(fs))
	for i := 0; i < len(fs); i += batchSize {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		b := fs[i:min(i+batchSize, len(fs))]
		o, err := m.Forward(Collate(b, padID), nil, bert.Options{})
		if err != nil {
			return nil, err
		}
		c := o.Logits.Shape[len(o.Logits.Shape)-1]
		for r := range b {
			out = append(out, append([]float32(nil), o.Logits.Data[r*c:(r+1)*c]...))
		}
	}
	return out, nil
}

// Softmax returns the class probabilities of one logits row, in float64.
func Softmax(logits []float32) []float64 {
	mx := math.Inf(-1)
	for _, v := range logits {
		mx = math.Max(mx, float64(v))
	}
	p := make([]float64, len(logits))
	var s float64
	for i, v := range logits {
		p[i] = math.Exp(float64(v) - mx)
		s += p[i]
	}
	for i := range p {
		p[i] /= s
	}
	return p
}

// EvalResult is what an evaluation pass produces.
type EvalResult struct {
	Loss   float64 // mean (weighted) cross-entropy, as the training loss
	Probs  [][]float64
	Logits [][]float32
	Report *metrics.Report
}

// EvaluateFeatures computes logits, probabilities, loss and the metrics
// report for labelled features.
func EvaluateFeatures(ctx context.Context, m *bert.Model, fs []Features, labels []string, padID, batchSize int, weights []float32) (*EvalResult, error) {
	if len(fs) == 0 {
		return nil, errors.New("no examples to evaluate")
	}
	lg, err := Logits(ctx, m, fs, padID, batchSize)
	if err != nil {
		return nil, err
	}
	res := &EvalResult{Logits: lg, Probs: make([][]float64, len(fs))}
	yTrue := make([]int, len(fs))
	var num, den float64
	for i, f := range fs {
		p := Softmax(lg[i])
		res.Probs[i] = p
		yTrue[i] = f.Label
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
	res.Report, err = metrics.NewReport(yTrue, nil, res.Probs, labels)
	if err != nil {
		return nil, err
	}
	return res, nil
}

// Evaluate implements Task.
func (t *SeqCls) Evaluate(ctx context.Context) (map[string]float64, bool, error) {
	if len(t.Eval) == 0 {
		return nil, false, nil
	}
	r, err := EvaluateFeatures(ctx, t.Model, t.Eval, t.Labels, t.PadID, t.EvalBatchSize, t.ClassWeights)
	if err != nil {
		return nil, false, err
	}
	t.LastReport = r.Report
	return ReportMetrics(r.Loss, r.Report), true, nil
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

// SaveModel implements Task.
func (t *SeqCls) SaveModel(dir string) error {
	if err := t.Model.Save(dir); err != nil {
		return err
	}
	if t.SaveTokenizer != nil {
		return t.SaveTokenizer(dir)
	}
	return nil
}

// LoadWeights implements Task: the folder's weights are copied into the
// existing parameter tensors, so the optimizer's views stay valid.
func (t *SeqCls) LoadWeights(dir string) error {
	return CopyWeights(t.Model, dir)
}
