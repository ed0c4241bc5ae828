package bert

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// Benchmarks on the bert-base-cased shape (testdata/golden/
// bert_base_cased_config.json: 12 layers, hidden 768, 12 heads, FFN 3072)
// with random weights, batch 8 × seq 128. They take tens of seconds per
// iteration with generic kernels; run with -benchtime=1x, e.g.
//
//	go test ./bert -run '^$' -bench 'BertForward|BertTrainStep' -benchtime=2x

const benchBatch, benchSeq = 8, 128

func benchModel(b *testing.B, head string) (*Model, *Input) {
	b.Helper()
	cfg, err := LoadConfig("../testdata/golden/bert_base_cased_config.json")
	if err != nil {
		b.Fatal(err)
	}
	cfg.SetNumLabels(2)
	m, err := New(cfg, head, 1)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	in := &Input{Batch: benchBatch, Seq: benchSeq, InputIDs: make([]int, benchBatch*benchSeq), AttentionMask: make([]int, benchBatch*benchSeq)}
	for i := range in.InputIDs {
		in.InputIDs[i] = 1000 + rng.IntN(cfg.VocabSize-1000)
		in.AttentionMask[i] = 1
	}
	return m, in
}

// forwardFLOPs counts multiply-adds ×2 of the encoder (the GEMMs and the
// two attention products), which is > 99% of the work:
// per token and layer 8H² (q, k, v, output) + 4H·I (FFN) + 4S·H (q·kᵀ, p·v).
func forwardFLOPs(c *Config, b, s int) float64 {
	h, i := float64(c.HiddenSize), float64(c.IntermediateSize)
	perTok := 8*h*h + 4*h*i + 4*float64(s)*h
	return float64(b*s) * float64(c.NumHiddenLayers) * perTok
}

// pooledForwardFLOPs is forwardFLOPs of a pooled-only forward: the last
// layer's query, output projection, FFN and attention run for one row per
// sequence instead of s.
func pooledForwardFLOPs(c *Config, b, s int) float64 {
	h, i, sf := float64(c.HiddenSize), float64(c.IntermediateSize), float64(s)
	return forwardFLOPs(c, b, s) - float64(b)*(sf-1)*(4*h*h+4*h*i+4*sf*h)
}

// BenchmarkBertForward is the no-grad forward at batch 8 and 1, with the
// weights as loaded ("unpacked": packed again on every GEMM call) and
// packed once for inference with the fused epilogues (what pipeline.Load
// and medbert serve run).
//
// "pooled" is the packed forward with Options.PooledOnly (the last layer for
// [CLS] only), as sequence classification runs it; its GFLOP/s counts only
// the FLOPs it performs.
func BenchmarkBertForward(b *testing.B) {
	for _, batch := range []int{benchBatch, 1} {
		for _, name := range []string{"unpacked", "packed", "pooled"} {
			b.Run(fmt.Sprintf("batch%d/%s", batch, name), func(b *testing.B) {
				m, in := benchModel(b, HeadBase)
				in.Batch, in.InputIDs, in.AttentionMask = batch, in.InputIDs[:batch*benchSeq], in.AttentionMask[:batch*benchSeq]
				if name != "unpacked" {
					m.PackForInference()
				}
				opt := Options{PooledOnly: name == "pooled"}
				flops := forwardFLOPs(m.Config, batch, benchSeq)
				if opt.PooledOnly {
					flops = pooledForwardFLOPs(m.Config, batch, benchSeq)
				}
				b.ResetTimer()
				for b.Loop() {
					if _, err := m.Forward(in, nil, opt); err != nil {
						b.Fatal(err)
					}
				}
				sec := b.Elapsed().Seconds() / float64(b.N)
				b.ReportMetric(float64(batch)/sec, "seq/s")
				b.ReportMetric(flops/sec/1e9, "GFLOP/s")
			})
		}
	}
}

// BenchmarkBertTrainStep is one warm fine-tuning step of sequence
// classification in training mode (dropout 0.1 as in the config): forward with loss,
// backward into every parameter, the graph freed, gradients zeroed (the optimizer update is
// package optim's and not included). FLOPs: backward ≈ 2× forward.
func BenchmarkBertTrainStep(b *testing.B) {
	m, in := benchModel(b, HeadSeqCls)
	dropout := rand.New(rand.NewPCG(3, 4))
	labels := &Labels{Class: make([]int, benchBatch)}
	for i := range labels.Class {
		labels.Class[i] = i % 2
	}
	step := func() {
		out, err := m.Forward(in, labels, Options{Grad: true, Dropout: dropout})
		if err != nil {
			b.Fatal(err)
		}
		out.Loss.Backward()
		// As train's step: the graph is done, its activations go back to
		// the pool for the next step instead of to the GC.
		out.Loss.FreeGraph()
		m.ZeroGrad()
	}
	// One untimed step first: a training run is thousands of steps, and
	// the first one alone allocates the parameter gradients and faults in
	// the activations' memory.
	step()
	b.ResetTimer()
	cpu0 := cpuTime()
	_, sys0 := cpuTimes()
	for b.Loop() {
		step()
	}
	// CPU seconds (user+system, all threads) per step: on a shared machine
	// they vary far less than wall time.
	b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
	_, sys1 := cpuTimes()
	b.ReportMetric((sys1-sys0).Seconds()/float64(b.N), "sys-s/op") // page faults
	sec := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(float64(benchBatch)/sec, "seq/s")
	b.ReportMetric(3*forwardFLOPs(m.Config, benchBatch, benchSeq)/sec/1e9, "GFLOP/s")
}

// BenchmarkBertMLMTrainStep is BenchmarkBertTrainStep for the masked-LM
// head with 15% of the positions labelled, as BERT pre-training masks:
// the decoder (hidden × vocabulary) is the largest GEMM of such a step.
func BenchmarkBertMLMTrainStep(b *testing.B) {
	m, in := benchModel(b, HeadMLM)
	rng := rand.New(rand.NewPCG(5, 6))
	labels := &Labels{Class: make([]int, len(in.InputIDs))}
	for i := range labels.Class {
		labels.Class[i] = IgnoreIndex
		if rng.Float64() < 0.15 {
			labels.Class[i] = in.InputIDs[i]
		}
	}
	step := func() {
		out, err := m.Forward(in, labels, Options{Grad: true, Dropout: rng})
		if err != nil {
			b.Fatal(err)
		}
		out.Loss.Backward()
		out.Loss.FreeGraph()
		m.ZeroGrad()
	}
	step() // warm-up, as BenchmarkBertTrainStep
	b.ResetTimer()
	cpu0 := cpuTime()
	for b.Loop() {
		step()
	}
	b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(float64(benchBatch)/(b.Elapsed().Seconds()/float64(b.N)), "seq/s")
}
