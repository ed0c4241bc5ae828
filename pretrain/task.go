package pretrain

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/medbert/medbert/bert"
	"github.com/medbert/medbert/tensor"
	"github.com/medbert/medbert/tokenize"
	"github.com/medbert/medbert/train"
)

// Task is masked-LM pre-training for the Trainer: a BERT with the mlm head
// (decoder tied to the word embeddings), the packed training sequences,
// and optionally packed validation sequences.
type Task struct {
	Model  *bert.Model
	Tok    *tokenize.Tokenizer
	Masker *Masker
	Train  *Packed
	Eval   *Packed // nil: no evaluation
	// EvalSeed fixes the validation masks, so every evaluation scores the
	// same corrupted positions and the numbers are comparable over time.
	EvalSeed uint64
	// EvalBatchSize bounds memory during evaluation (default 8).
	EvalBatchSize int
}

var _ train.Task = (*Task)(nil)

// Params implements train.Task.
func (t *Task) Params() []train.NamedParam { return train.ModelParams(t.Model) }

// NumTrain implements train.Task: one index per packed sequence.
func (t *Task) NumTrain() int { return t.Train.Len() }

// batch reads the sequences idx and masks each with rng.
func (t *Task) batch(p *Packed, idx []int, rng *rand.Rand) (*bert.Input, *bert.Labels, error) {
	s := p.SeqLen
	in := &bert.Input{Batch: len(idx), Seq: s, InputIDs: make([]int, 0, len(idx)*s)}
	lb := &bert.Labels{Class: make([]int, 0, len(idx)*s)}
	var buf []int
	for _, i := range idx {
		var err error
		if buf, err = p.Seq(i, buf); err != nil {
			return nil, nil, err
		}
		ids, labels := t.Masker.Mask(buf, rng)
		in.InputIDs = append(in.InputIDs, ids...)
		lb.Class = append(lb.Class, labels...)
	}
	return in, lb, nil
}

// Loss implements train.Task: the masks and the dropout of a step are drawn
// from the step's rng, so a resumed run repeats them exactly.
func (t *Task) Loss(idx []int, rng *rand.Rand) (*tensor.Tensor, error) {
	in, lb, err := t.batch(t.Train, idx, rng)
	if err != nil {
		return nil, err
	}
	dropout := rand.New(rand.NewPCG(rng.Uint64(), 0xd1b54a32d192ed03))
	out, err := t.Model.Forward(in, lb, bert.Options{Grad: true, Dropout: dropout})
	if err != nil {
		return nil, err
	}
	return out.Loss, nil
}

// EvalResult is what Evaluate measures on the validation sequences.
type EvalResult struct {
	Loss       float64 // mean cross-entropy over the masked positions
	Perplexity float64 // exp(Loss)
	Accuracy   float64 // masked positions whose argmax is the original id
	Masked     int     // masked positions scored
}

// EvaluatePacked scores the masked-LM on every sequence of p, masked with
// a generator seeded by seed (the same positions on every call).
func (t *Task) EvaluatePacked(ctx context.Context, p *Packed, seed uint64) (*EvalResult, error) {
	bs := t.EvalBatchSize
	if bs <= 0 {
		bs = 8
	}
	rng := rand.New(rand.NewPCG(seed, 0x6d6c6d))
	var sumLoss float64
	var correct, n int
	for i0 := 0; i0 < p.Len(); i0 += bs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		idx := make([]int, 0, bs)
		for i := i0; i < min(i0+bs, p.Len()); i++ {
			idx = append(idx, i)
		}
		in, lb, err := t.batch(p, idx, rng)
		if err != nil {
			return nil, err
		}
		out, err := t.Model.Forward(in, nil, bert.Options{})
		if err != nil {
			return nil, err
		}
		l, c, k := scoreMasked(out.Logits.Data, lb.Class, t.Model.Config.VocabSize)
		sumLoss += l
		correct += c
		n += k
	}
	if n == 0 {
		return nil, errors.New("evaluate: no position was masked in the validation sequences")
	}
	loss := sumLoss / float64(n)
	return &EvalResult{Loss: loss, Perplexity: math.Exp(loss), Accuracy: float64(correct) / float64(n), Masked: n}, nil
}

// scoreMasked sums, over positions whose label is not ignored, the
// cross-entropy −log softmax(logits)[label] (in float64) and counts those
// whose argmax is the label. logits is (positions, v).
func scoreMasked(logits []float32, labels []int, v int) (loss float64, correct, n int) {
	for i, l := range labels {
		if l == bert.IgnoreIndex {
			continue
		}
		row := logits[i*v : (i+1)*v]
		best, mx := 0, math.Inf(-1)
		for j, x := range row {
			if float64(x) > mx {
				best, mx = j, float64(x)
			}
		}
		var z float64
		for _, x := range row {
			z += math.Exp(float64(x) - mx)
		}
		loss += mx + math.Log(z) - float64(row[l])
		if best == l {
			correct++
		}
		n++
	}
	return loss, correct, n
}

// Evaluate implements train.Task: loss, perplexity and masked-token
// accuracy on the validation sequences.
func (t *Task) Evaluate(ctx context.Context) (map[string]float64, bool, error) {
	if t.Eval == nil {
		return nil, false, nil
	}
	r, err := t.EvaluatePacked(ctx, t.Eval, t.EvalSeed)
	if err != nil {
		return nil, false, err
	}
	return map[string]float64{"loss": r.Loss, "perplexity": r.Perplexity, "accuracy": r.Accuracy,
		"num_samples": float64(t.Eval.Len()), "masked_tokens": float64(r.Masked)}, true, nil
}

// SaveModel implements train.Task: an HF-layout BertForMaskedLM folder.
func (t *Task) SaveModel(dir string) error { return train.SaveModelDir(t.Model, t.Tok, dir) }

// LoadWeights implements train.Task.
func (t *Task) LoadWeights(dir string) error {
	if err := t.Model.CopyWeightsFrom(dir); err != nil {
		return fmt.Errorf("load weights: %w", err)
	}
	return nil
}
