package seqcls

import (
	"context"
	"math"
	"path/filepath"
	"testing"

	"github.com/medbert/medbert/bert"
	"github.com/medbert/medbert/safetensors"
	"github.com/medbert/medbert/train"
)

// tinyModelNoDropout is the tiny golden model as published (dropout 0).
func tinyModelNoDropout(t *testing.T) *bert.Model { return tinyModel(t, 0) }

// tinyModel is the tiny golden model with the given dropout.
func tinyModel(t *testing.T, dropout float64) *bert.Model {
	t.Helper()
	cfg, err := bert.LoadConfig(filepath.Join(tinyDir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.HiddenDropoutProb, cfg.AttentionProbsDropoutProb = dropout, dropout
	m, err := bert.New(cfg, bert.HeadSeqCls, 1)
	if err != nil {
		t.Fatal(err)
	}
	src, err := safetensors.Open(filepath.Join(tinyDir, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if _, err := m.LoadWeights(src, "model.safetensors", 1); err != nil {
		t.Fatal(err)
	}
	return m
}

// Gradient accumulation must be a bigger batch in disguise (HF divides
// each micro-batch loss by the number of micro-batches): 16 examples as
// 1 x 16, 2 x 8 and 4 x 4 give the same pre-clip gradient norm at every
// step and the same weights after three steps, up to float32 summation
// order. Dropout is off and there are no class weights, so the three
// runs compute the same mean loss over the same examples (the epoch order
// does not depend on the batch size).
func TestGradientAccumulationMatchesBigBatch(t *testing.T) {
	run := func(batch, accum int) ([]float64, []float32) {
		task := tinySeqCls(t, 16)
		task.ClassWeights = nil
		task.Model = tinyModelNoDropout(t)
		a := tinyArgs(t.TempDir())
		a.PerDeviceTrainBatchSize, a.GradientAccumulationSteps = batch, accum
		a.NumTrainEpochs, a.MaxSteps = 3, 3
		a.WarmupSteps, a.LoggingSteps = 0, 1
		a.EvalStrategy = train.StrategyNo
		a.MaxGradNorm = 0.1 // below the ~0.2 norms: clipping is part of the check
		tr := &train.Trainer{Args: &a, Task: task}
		if _, err := tr.Train(context.Background()); err != nil {
			t.Fatal(err)
		}
		var norms []float64
		for _, e := range tr.State.LogHistory {
			if g, ok := e["grad_norm"]; ok {
				norms = append(norms, g)
			}
		}
		var w []float32
		for _, p := range task.Params() {
			w = append(w, p.T.Data...)
		}
		return norms, w
	}
	refN, refW := run(16, 1)
	if len(refN) != 3 {
		t.Fatalf("%d grad_norm log entries, want 3", len(refN))
	}
	for _, c := range []struct{ batch, accum int }{{8, 2}, {4, 4}} {
		n, w := run(c.batch, c.accum)
		for i := range refN {
			if math.Abs(n[i]-refN[i]) > 1e-5*refN[i] {
				t.Errorf("%dx%d step %d: grad norm %.9g, batch 16 %.9g", c.accum, c.batch, i+1, n[i], refN[i])
			}
		}
		worst := 0.0
		for i := range refW {
			worst = math.Max(worst, math.Abs(float64(w[i]-refW[i])))
		}
		if worst > 1e-5 {
			t.Errorf("%dx%d: weights differ from batch 16 by up to %g", c.accum, c.batch, worst)
		}
	}
}
