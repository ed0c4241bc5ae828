package seqcls

import (
	"context"
	"testing"

	"github.com/medbert/medbert/bert"
	"github.com/medbert/medbert/train"
)

// denseTask hides Task's SparseEmbeddingGrader from the Trainer.
type denseTask struct{ train.Task }

// TestSparseEmbeddingGradTrainsSameWeights: fine-tuning the tiny model
// (dropout on, class weights, 2 micro-batches per step, clipping at 0.1)
// with the word-embedding gradient row-sparse gives every parameter the
// bits of the run with the dense gradient, and the logged norms too; the
// dense buffer is never allocated.
func TestSparseEmbeddingGradTrainsSameWeights(t *testing.T) {
	run := func(sparse bool) (*Task, *train.Trainer) {
		task := tinySeqCls(t, 24)
		a := tinyArgs(t.TempDir())
		a.EvalStrategy = train.StrategyNo
		a.LoggingSteps = 1
		a.MaxGradNorm = 0.1
		tr := &train.Trainer{Args: &a, Task: task}
		if !sparse {
			tr.Task = denseTask{task}
		}
		word := task.Model.Bert.Embeddings.WordEmbeddings.Weight
		tr.OnStep = func(int) {
			if (word.Grad == nil) != sparse || (word.RowGrad() != nil) != sparse {
				t.Errorf("sparse %v: dense grad %v, row-sparse %v", sparse, word.Grad != nil, word.RowGrad() != nil)
			}
		}
		if _, err := tr.Train(context.Background()); err != nil {
			t.Fatal(err)
		}
		return task, tr
	}
	before := paramBits(tinySeqCls(t, 24))
	dense, trd := run(false)
	sparse, trs := run(true)
	d, s := paramBits(dense), paramBits(sparse)
	if len(d) != len(before) || len(d) != len(s) {
		t.Fatalf("%d, %d, %d parameter values", len(before), len(d), len(s))
	}
	changed := 0
	for i := range d {
		if d[i] != before[i] {
			changed++
		}
		if d[i] != s[i] {
			t.Fatalf("value %d differs: sparse %#x, dense %#x", i, s[i], d[i])
		}
	}
	if changed < len(d)/2 {
		t.Fatalf("only %d of %d values changed: training did not run", changed, len(d))
	}
	if len(trd.State.LogHistory) < 6 {
		t.Fatalf("%d log entries", len(trd.State.LogHistory))
	}
	for i, e := range trd.State.LogHistory {
		if g, ok := e["grad_norm"]; ok && trs.State.LogHistory[i]["grad_norm"] != g {
			t.Errorf("log %d: grad_norm %v sparse vs %v dense", i, trs.State.LogHistory[i]["grad_norm"], g)
		}
	}
}

// The masked-LM head decodes with the word-embedding table: its gradient
// must stay dense.
func TestSparseEmbeddingGradRefusedForMLM(t *testing.T) {
	m := tinyModel(t, 0)
	if !m.SetSparseEmbeddingGrad(true) || m.Bert.Embeddings.WordEmbeddings.Weight.RowGrad() == nil {
		t.Fatal("sequence classification model refused")
	}
	if m.SetSparseEmbeddingGrad(false) || m.Bert.Embeddings.WordEmbeddings.Weight.RowGrad() != nil {
		t.Fatal("not turned off")
	}
	mlm, err := bert.New(m.Config, bert.HeadMLM, 1)
	if err != nil {
		t.Fatal(err)
	}
	if mlm.SetSparseEmbeddingGrad(true) || mlm.Bert.Embeddings.WordEmbeddings.Weight.RowGrad() != nil {
		t.Fatal("masked-LM model accepted a row-sparse word-embedding gradient")
	}
}
