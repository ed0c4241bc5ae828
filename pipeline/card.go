package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/medbert/medbert/card"
	"github.com/medbert/medbert/data"
	"github.com/medbert/medbert/metrics"
	"github.com/medbert/medbert/train"
)

// CardFile is the model card's file name in a model folder.
const CardFile = "MODEL_CARD.md"

// CardInput describes the classifier for a model card: identity, labels
// and architecture from the pipeline; method and loss curve from the
// training_args.json and trainer_state.json that `medbert train` leaves in
// dir (absent files are simply not described).
func (p *Pipeline) CardInput(dir string) (card.Input, error) {
	if p.Labels == nil {
		return card.Input{}, fmt.Errorf("%s is a %s model: model cards describe classifiers", dir, p.Task)
	}
	c := p.Model.Config
	in := card.Input{Name: filepath.Base(filepath.Clean(dir)), SHA256: p.ID, Task: "sequence classification", Labels: p.Labels.Names(),
		Architecture: []card.Fact{
			{Name: "Layers", Value: strconv.Itoa(c.NumHiddenLayers)}, {Name: "Hidden size", Value: strconv.Itoa(c.HiddenSize)},
			{Name: "Attention heads", Value: strconv.Itoa(c.NumAttentionHeads)}, {Name: "Feed-forward size", Value: strconv.Itoa(c.IntermediateSize)},
			{Name: "Vocabulary", Value: strconv.Itoa(c.VocabSize)}, {Name: "Parameters", Value: strconv.Itoa(p.Model.NumParams())},
			{Name: "Weights", Value: map[bool]string{true: "int8 (dynamic quantization)", false: "float32"}[p.Model.Quantized()]},
			{Name: "Max length", Value: fmt.Sprintf("%d tokens", p.MaxLength)},
		}}
	if raw, ok := c.Extra[keyNameOrPath]; ok {
		_ = json.Unmarshal(raw, &in.BaseModel) // a non-string is simply not named
	}
	t := &card.Training{TruncationRate: -1}
	if a, err := train.LoadArgs(filepath.Join(dir, train.ArgsFile)); err == nil {
		t.MaxLength = a.MaxSeqLength
		t.Hyperparameters = []card.Fact{
			{Name: "learning rate", Value: fmt.Sprint(a.LearningRate)}, {Name: "epochs", Value: fmt.Sprint(a.NumTrainEpochs)},
			{Name: "batch size", Value: fmt.Sprint(a.PerDeviceTrainBatchSize * max(1, a.GradientAccumulationSteps))},
			{Name: "schedule", Value: a.LRSchedulerType}, {Name: "warmup ratio", Value: fmt.Sprint(a.WarmupRatio)},
			{Name: "weight decay", Value: fmt.Sprint(a.WeightDecay)}, {Name: "max grad norm", Value: fmt.Sprint(a.MaxGradNorm)},
			{Name: "seed", Value: fmt.Sprint(a.Seed)},
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return in, err
	}
	if st, err := train.LoadState(filepath.Join(dir, train.StateFile)); err == nil {
		for _, e := range st.LogHistory {
			if l, ok := e["loss"]; ok {
				t.Loss = append(t.Loss, card.Point{Step: e["step"], Value: l})
			}
			if l, ok := e["eval_loss"]; ok {
				t.EvalLoss = append(t.EvalLoss, card.Point{Step: e["step"], Value: l})
			}
		}
		t.Extra = append(t.Extra, card.Fact{Name: "Optimizer steps", Value: strconv.Itoa(st.GlobalStep)})
	} else if !errors.Is(err, os.ErrNotExist) {
		return in, err
	}
	if b, err := os.ReadFile(filepath.Join(dir, DataSummaryFile)); err == nil {
		var ds DataSummary
		if err := json.Unmarshal(b, &ds); err != nil {
			return in, fmt.Errorf("%s: %w", filepath.Join(dir, DataSummaryFile), err)
		}
		t.ClassCounts = make([]int, len(in.Labels))
		for _, c := range ds.Classes {
			if id, ok := p.Labels.ID(c.Label); ok {
				t.ClassCounts[id] = c.Count
			}
		}
		t.TruncationRate, t.MaxLength, t.Deidentified = ds.TruncationRate, ds.MaxLength, ds.Deidentified
		t.Data = append(t.Data, card.Fact{Name: "Median length", Value: fmt.Sprintf("%d %s (90th percentile %d)", ds.Length.P50, ds.LengthUnit, ds.Length.P90)})
	}
	in.Training = t
	return in, nil
}

// CardEval evaluates the pipeline on labelled examples for a model card;
// groups are the subgroup fields, one value per example (may be nil).
func (p *Pipeline) CardEval(ctx context.Context, split string, exs []data.Example, groups []metrics.GroupField, seed uint64) (*card.Eval, error) {
	yTrue, err := p.Labels.Encode(exs)
	if err != nil {
		return nil, err
	}
	r, err := p.Evaluate(ctx, exs)
	if err != nil {
		return nil, err
	}
	return &card.Eval{Split: split, YTrue: yTrue, Probs: r.Probs, Groups: groups, Seed: seed}, nil
}
