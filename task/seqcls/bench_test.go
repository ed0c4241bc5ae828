package seqcls

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/medbert/medbert/bert"
	"github.com/medbert/medbert/train"
)

// benchTask builds a seq-cls task with random features: batch 8 x seq
// tokens per step. MEDBERT_BENCH_SHAPE=base uses bert-base-cased's shape
// (testdata/golden/bert_base_cased_config.json), =tiny the tiny golden
// model (use MEDBERT_BENCH_SEQ=64, its max_position_embeddings); the
// default is the quickstart shape (2 layers, hidden 128).
func benchTask(b *testing.B, seq, n int) *Task {
	var cfg *bert.Config
	switch os.Getenv("MEDBERT_BENCH_SHAPE") {
	case "base", "tiny":
		p := filepath.Join("..", "..", "testdata", "golden", "bert_base_cased_config.json")
		if os.Getenv("MEDBERT_BENCH_SHAPE") == "tiny" {
			p = filepath.Join("..", "..", "testdata", "golden", "tiny", "config.json")
		}
		c, err := bert.LoadConfig(p)
		if err != nil {
			b.Fatal(err)
		}
		cfg = c
	default:
		cfg = bert.DefaultConfig()
		cfg.VocabSize, cfg.HiddenSize, cfg.NumHiddenLayers, cfg.NumAttentionHeads, cfg.IntermediateSize = 28996, 128, 2, 2, 512
	}
	cfg.SetNumLabels(5)
	m, err := bert.New(cfg, bert.HeadSeqCls, 1)
	if err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 1))
	fs := make([]Features, n)
	for i := range fs {
		ids := make([]int, seq)
		for j := range ids {
			ids[j] = 104 + r.IntN(cfg.VocabSize-104)
		}
		ids[0], ids[seq-1] = 101, 102
		fs[i] = Features{IDs: ids, TypeIDs: make([]int, seq), Label: i % 5}
	}
	return &Task{Model: m, Labels: cfg.Labels(), Train: fs}
}

// BenchmarkTrainStep measures full optimizer steps (forward, backward,
// clip, AdamW) at batch 8, seq 128 and reports sequences/s.
func BenchmarkTrainStep(b *testing.B) {
	seq := 128
	if s, err := strconv.Atoi(os.Getenv("MEDBERT_BENCH_SEQ")); err == nil {
		seq = s
	}
	const batch = 8
	task := benchTask(b, seq, batch)
	a := train.Defaults()
	a.OutputDir = b.TempDir()
	a.PerDeviceTrainBatchSize = batch
	a.MaxSteps = b.N + 1
	a.SaveStrategy = train.StrategyNo
	a.LoggingStrategy = train.StrategyNo
	a.DisableProgressBar = true
	tr := &train.Trainer{Args: &a, Task: task}
	// Step 1 warms up buffers; time the rest.
	tr.OnStep = func(s int) {
		if s == 1 {
			b.ResetTimer()
		}
	}
	if _, err := tr.Train(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "seq/s")
}
