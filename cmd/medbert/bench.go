package main

import (
	_ "embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"slices"
	"time"

	"github.com/medbert/medbert/bert"
	"github.com/medbert/medbert/kernels"
	"github.com/medbert/medbert/optim"
)

// benchDefaultConfig is bert-base-cased's config.json (12 layers, hidden 768,
// 12 heads, FFN 3072, vocab 28996), so `medbert bench` runs out of the box
// on the shape everyone quotes.
//
//go:embed bench_bert_base_cased.json
var benchDefaultConfig []byte

func init() {
	register(&command{
		name:    "bench",
		summary: "time a forward pass or a training step (sequences/s, ms per batch, GFLOP/s, peak RSS)",
		run:     runBench,
	})
}

// benchResult is what `bench --json` prints: one object per run.
type benchResult struct {
	Mode string `json:"mode"` // "forward" or "train"
	Head string `json:"head"`
	// PooledOnly: the forward computed the last layer for [CLS] only
	// (bert.Options.PooledOnly), as the base and seqcls outputs need.
	PooledOnly    bool    `json:"pooled_only"`
	Kernels       string  `json:"kernels"`
	Threads       int     `json:"threads"`
	Batch         int     `json:"batch"`
	Seq           int     `json:"seq"`
	Iters         int     `json:"iters"`
	SequencesPerS float64 `json:"sequences_per_s"`
	MsPerBatch    float64 `json:"ms_per_batch"` // median
	MsMin         float64 `json:"ms_min"`
	GFLOPs        float64 `json:"gflops"`          // achieved, at the median
	GFLOPPerBatch float64 `json:"gflop_per_batch"` // the count GFLOPs is based on
	PeakRSSBytes  int64   `json:"peak_rss_bytes"`
	NumParams     int     `json:"num_params"`
	GoMaxProcs    int     `json:"gomaxprocs"`
	// CPUSecPerBatch is the process's user+system CPU time per timed
	// batch (mean). On a shared machine wall time includes waiting for a
	// core; GFLOPPerCPUSec = FLOPs / CPU time shows the engine's own speed.
	CPUSecPerBatch float64 `json:"cpu_s_per_batch"`
	GFLOPPerCPUSec float64 `json:"gflop_per_cpu_s"`
}

// benchCmd holds the bench flags.
type benchCmd struct {
	config, model, head                string
	batch, seq, threads, iters, warmup int
	train, asJSON, unpacked, allRows   bool
	seed                               uint64
}

func (c *benchCmd) flags(stderr io.Writer) *flag.FlagSet {
	fs := newFlags("bench", "bench [--config CONFIG.json | --model DIR] [--batch 8] [--seq 128] [--threads N] [--train] [--iters N] [--warmup N] [--json]", stderr)
	fs.StringVar(&c.config, "config", "", "HF config.json giving the model shape (random weights); default: embedded bert-base-cased")
	fs.StringVar(&c.model, "model", "", "model folder to load instead of --config")
	fs.StringVar(&c.head, "head", "", "head: base, seqcls, tokencls, qa, mlm (default: base for forward, seqcls for --train; with --model, the checkpoint's)")
	fs.IntVar(&c.batch, "batch", 8, "sequences per batch")
	fs.IntVar(&c.seq, "seq", 128, "tokens per sequence")
	fs.IntVar(&c.threads, "threads", runtime.NumCPU(), "threads: sets GOMAXPROCS and the kernels' worker cap")
	fs.BoolVar(&c.unpacked, "unpacked", false, "forward with the weights as loaded (packed again on every GEMM) instead of packed once for inference as predict and serve run")
	fs.BoolVar(&c.allRows, "all-rows", false, "base and seqcls forward: compute the last layer for every token, as Hugging Face does, instead of for the [CLS] row that the pooled output and logits read")
	fs.BoolVar(&c.train, "train", false, "time a training step (forward + loss + backward + clip + AdamW) instead of a no-grad forward")
	fs.IntVar(&c.iters, "iters", 10, "timed iterations (the median is reported)")
	fs.IntVar(&c.warmup, "warmup", 2, "untimed iterations first (at least 1 with --train: it allocates the gradients)")
	fs.Uint64Var(&c.seed, "seed", 1, "seed of the random weights and input ids")
	fs.BoolVar(&c.asJSON, "json", false, "print one JSON object instead of text")
	return fs
}

func (c *benchCmd) check() error {
	switch {
	case c.config != "" && c.model != "":
		return errors.New("give --config or --model, not both")
	case c.batch <= 0 || c.seq <= 0:
		return fmt.Errorf("--batch %d and --seq %d must be positive", c.batch, c.seq)
	case c.threads <= 0:
		return fmt.Errorf("--threads %d must be positive", c.threads)
	case c.iters <= 0 || c.warmup < 0:
		return fmt.Errorf("--iters %d must be positive and --warmup %d not negative", c.iters, c.warmup)
	}
	if c.head != "" {
		if err := bert.CheckHead(c.head); err != nil {
			return err
		}
	}
	if c.train && c.head == bert.HeadBase {
		return errors.New("--train needs a head with a loss (seqcls, tokencls, qa or mlm), not base")
	}
	if c.train {
		c.warmup = max(c.warmup, 1)
	}
	return nil
}

func runBench(args []string, stdout, stderr io.Writer) error {
	c := &benchCmd{}
	fs := c.flags(stderr)
	if err := parseFlagsOnly(fs, args); err != nil {
		return err
	}
	if err := c.check(); err != nil {
		return err
	}
	prevProcs := runtime.GOMAXPROCS(c.threads)
	prevMax := kernels.SetMaxThreads(c.threads)
	defer func() { runtime.GOMAXPROCS(prevProcs); kernels.SetMaxThreads(prevMax) }()

	m, err := benchModel(c.config, c.model, c.head, c.train, c.seed, stderr)
	if err != nil {
		return err
	}
	if c.train && m.Quantized() {
		return fmt.Errorf("--train needs a float32 model: %s is int8 (int8 models are for inference only)", filepath.Base(c.model))
	}
	if !c.train && !c.unpacked {
		// As predict and serve run it: weights packed once, fused epilogues.
		m.PackForInference()
	}
	if c.seq > m.Config.MaxPositionEmbeddings {
		return fmt.Errorf("--seq %d exceeds the model's max_position_embeddings %d", c.seq, m.Config.MaxPositionEmbeddings)
	}
	rng := rand.New(rand.NewPCG(c.seed, 0x6265_6e63_68))
	in, labels := benchInput(m, c.batch, c.seq, rng)
	opt := bert.Options{PooledOnly: c.pooledOnly(m)}
	step := func() error {
		_, err := m.Forward(in, nil, opt)
		return err
	}
	if c.train {
		step = trainStep(m, in, labels)
	}
	times, cpu, err := timeSteps(step, c.warmup, c.iters)
	if err != nil {
		return err
	}
	res := c.result(m, labels, times, cpu)
	if c.asJSON {
		return json.NewEncoder(stdout).Encode(res)
	}
	res.writeText(stdout)
	return nil
}

// pooledOnly reports whether the timed forward reads only the pooled
// output, so the last layer runs for [CLS] only.
func (c *benchCmd) pooledOnly(m *bert.Model) bool {
	return !c.train && !c.allRows && (m.Head == bert.HeadBase || m.Head == bert.HeadSeqCls) && m.Bert.Pooler != nil
}

// timeSteps runs warmup untimed steps, then iters timed ones; it returns
// the sorted wall times and the mean CPU seconds per timed step.
func timeSteps(step func() error, warmup, iters int) ([]float64, float64, error) {
	for range warmup {
		if err := step(); err != nil {
			return nil, 0, err
		}
	}
	times := make([]float64, 0, iters)
	cpu0 := cpuSeconds()
	for range iters {
		start := time.Now()
		if err := step(); err != nil {
			return nil, 0, err
		}
		times = append(times, time.Since(start).Seconds())
	}
	cpu := (cpuSeconds() - cpu0) / float64(iters)
	slices.Sort(times)
	return times, cpu, nil
}

// result turns sorted step times into the reported numbers.
func (c *benchCmd) result(m *bert.Model, labels *bert.Labels, times []float64, cpu float64) benchResult {
	med := median(times)
	// The MLM decoder runs on every position in a forward pass, but in
	// training only on the labelled ones (bert skips the rest).
	decoded := c.batch * c.seq
	if c.train && m.Head == bert.HeadMLM {
		decoded = 0
		for _, l := range labels.Class {
			if l != bert.IgnoreIndex {
				decoded++
			}
		}
	}
	pooledOnly := c.pooledOnly(m)
	flops := forwardFLOPs(m.Config, m.Head, c.batch, c.seq, decoded)
	if pooledOnly {
		flops -= lastLayerSkipped(m.Config, c.batch, c.seq)
	}
	mode := "forward"
	if c.train {
		flops *= 3 // backward ≈ two GEMMs per forward GEMM
		mode = "train"
	}
	res := benchResult{
		Mode: mode, Head: m.Head, PooledOnly: pooledOnly, Kernels: kernels.Active(), Threads: c.threads, Batch: c.batch, Seq: c.seq, Iters: c.iters,
		SequencesPerS: float64(c.batch) / med, MsPerBatch: med * 1e3, MsMin: times[0] * 1e3,
		GFLOPs: flops / med / 1e9, GFLOPPerBatch: flops / 1e9,
		PeakRSSBytes: peakRSS(), NumParams: m.NumParams(), GoMaxProcs: runtime.GOMAXPROCS(0),
		CPUSecPerBatch: cpu,
	}
	if cpu > 0 {
		res.GFLOPPerCPUSec = flops / cpu / 1e9
	}
	return res
}

func (res *benchResult) writeText(w io.Writer) {
	mode := res.Mode
	if res.PooledOnly {
		mode += " (last layer for [CLS] only; --all-rows for every token)"
	}
	fmt.Fprintf(w, "%s, head %s, %.1fM params, batch %d × seq %d, %d threads, kernels %s\n",
		mode, res.Head, float64(res.NumParams)/1e6, res.Batch, res.Seq, res.Threads, res.Kernels)
	fmt.Fprintf(w, "  %.2f sequences/s   %.1f ms per batch (median of %d, min %.1f)\n",
		res.SequencesPerS, res.MsPerBatch, res.Iters, res.MsMin)
	fmt.Fprintf(w, "  %.1f GFLOP/s (%.1f GFLOP per batch)   peak RSS %.0f MiB\n",
		res.GFLOPs, res.GFLOPPerBatch, float64(res.PeakRSSBytes)/(1<<20))
	fmt.Fprintf(w, "  %.2f CPU-s per batch (%.1f GFLOP per CPU-second; < threads × wall time means the cores were shared)\n",
		res.CPUSecPerBatch, res.GFLOPPerCPUSec)
}

// benchModel builds a random model from a config (the embedded bert-base
// one by default) or loads a folder.
func benchModel(config, dir, head string, train bool, seed uint64, stderr io.Writer) (*bert.Model, error) {
	if dir != "" {
		if head == "" && train {
			// A checkpoint whose architectures say base cannot compute a loss.
			if cfg, err := bert.LoadConfig(filepath.Join(dir, bert.FileConfig)); err == nil && bert.DefaultHead(cfg) == bert.HeadBase {
				head = bert.HeadSeqCls
			}
		}
		m, rep, err := bert.Load(dir, bert.LoadOptions{Head: head, Seed: seed})
		if err != nil {
			return nil, err
		}
		if len(rep.Missing) > 0 {
			fmt.Fprintf(stderr, "note: %d parameters not in the checkpoint were randomly initialised (head %s)\n", len(rep.Missing), m.Head)
		}
		return m, nil
	}
	var cfg *bert.Config
	var err error
	if config == "" {
		cfg, err = bert.ParseConfig(benchDefaultConfig, "embedded bert-base-cased config")
	} else {
		cfg, err = bert.LoadConfig(config)
	}
	if err != nil {
		return nil, err
	}
	if head == "" {
		head = bert.HeadBase
		if train {
			head = bert.HeadSeqCls
		}
	}
	if head == bert.HeadSeqCls && cfg.NumLabels < 2 && cfg.ProblemType == "" {
		cfg.SetNumLabels(2) // a classification loss, not regression
	}
	m, err := bert.New(cfg, head, seed)
	if err != nil {
		name := config
		if name == "" {
			name = "embedded config"
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return m, nil
}

// benchInput draws random ids (no padding: every position is attended, the
// worst case) and labels for the model's head.
func benchInput(m *bert.Model, batch, seq int, rng *rand.Rand) (*bert.Input, *bert.Labels) {
	c := m.Config
	n := batch * seq
	in := &bert.Input{Batch: batch, Seq: seq, InputIDs: make([]int, n), AttentionMask: make([]int, n)}
	for i := range in.InputIDs {
		in.InputIDs[i] = rng.IntN(c.VocabSize)
		in.AttentionMask[i] = 1
	}
	lb := &bert.Labels{}
	switch m.Head {
	case bert.HeadSeqCls:
		if c.NumLabels == 1 || c.ProblemType == bert.ProblemRegression || c.ProblemType == bert.ProblemMultiLabel {
			lb.Float = make([]float32, batch*c.NumLabels)
			for i := range lb.Float {
				lb.Float[i] = float32(rng.IntN(2))
			}
		} else {
			lb.Class = make([]int, batch)
			for i := range lb.Class {
				lb.Class[i] = rng.IntN(c.NumLabels)
			}
		}
	case bert.HeadTokenCls:
		lb.Class = make([]int, n)
		for i := range lb.Class {
			lb.Class[i] = rng.IntN(c.NumLabels)
		}
	case bert.HeadQA:
		lb.Start, lb.End = make([]int, batch), make([]int, batch)
		for i := range lb.Start {
			lb.Start[i] = rng.IntN(seq)
			lb.End[i] = lb.Start[i] + rng.IntN(seq-lb.Start[i])
		}
	case bert.HeadMLM:
		// 15% of positions labelled, as BERT pre-training masks.
		lb.Class = make([]int, n)
		for i := range lb.Class {
			lb.Class[i] = bert.IgnoreIndex
			if rng.Float64() < 0.15 {
				lb.Class[i] = in.InputIDs[i]
			}
		}
	}
	return in, lb
}

// trainStep returns one HF-Trainer-like step: dropout on, forward with the
// loss, backward, clip the global grad norm to 1.0, AdamW (lr 2e-5, HF
// no-decay groups), zero the gradients. Gradients are allocated by the first
// backward, so the optimizer is built lazily at the end of the first call.
// The word-embedding gradient keeps only the looked-up rows, as train does
// (not for the MLM head, whose decoder is that table).
func trainStep(m *bert.Model, in *bert.Input, labels *bert.Labels) func() error {
	dropout := rand.New(rand.NewPCG(1, 2))
	var opt *optim.AdamW
	var ops []optim.Param
	m.SetSparseEmbeddingGrad(true)
	return func() error {
		out, err := m.Forward(in, labels, bert.Options{Grad: true, Dropout: dropout})
		if err != nil {
			return err
		}
		out.Loss.Backward()
		out.Loss.FreeGraph() // hand the step's activations back to the buffer pool
		if opt == nil {
			for _, p := range m.Params() {
				op := optim.Param{Name: p.Name, Data: p.T.Data, Grad: p.T.Grad}
				if rg := p.T.RowGrad(); rg != nil {
					op.Grad, op.Sparse = nil, rg
				}
				ops = append(ops, op)
			}
			optim.SetHFNoDecay(ops)
			cfg := optim.DefaultAdamWConfig()
			cfg.WeightDecay = 0.01
			if opt, err = optim.NewAdamW(ops, cfg); err != nil {
				return err
			}
		}
		// Clip to norm 1.0 inside the update, as train does.
		if err := opt.StepScaled(2e-5, optim.ClipCoef(optim.GradNorm(ops), 1.0)); err != nil {
			return err
		}
		m.ZeroGrad()
		return nil
	}
}

// lastLayerSkipped is the GEMM FLOPs a pooled-only forward leaves out: the
// last layer's query, output projection, feed-forward and attention for
// every row but one per sequence (its keys and values still run on all).
func lastLayerSkipped(c *bert.Config, batch, seq int) float64 {
	h, i, s := float64(c.HiddenSize), float64(c.IntermediateSize), float64(seq)
	rows := float64(batch) * (s - 1)
	return rows * (4*h*h + 4*h*i + 4*s*h)
}

// forwardFLOPs counts 2·M·N·K for every GEMM of one forward pass (the
// elementwise ops, softmax and layer norms are < 1% and not counted):
//
//	per layer and token: q, k, v, output 4·2H², FFN 2·2HI, attention
//	q·kᵀ and p·v 2·2SH; pooler 2·B·H²; the head's Linear layers (the MLM
//	transform and decoder on decoded rows).
func forwardFLOPs(c *bert.Config, head string, batch, seq, decoded int) float64 {
	b, s := float64(batch), float64(seq)
	h, i, v := float64(c.HiddenSize), float64(c.IntermediateSize), float64(c.VocabSize)
	tok := b * s
	f := tok * float64(c.NumHiddenLayers) * (8*h*h + 4*h*i + 4*s*h)
	switch head {
	case bert.HeadBase:
		f += 2 * b * h * h
	case bert.HeadSeqCls:
		f += 2*b*h*h + 2*b*h*float64(c.NumLabels)
	case bert.HeadTokenCls:
		f += 2 * tok * h * float64(c.NumLabels)
	case bert.HeadQA:
		f += 2 * tok * h * 2
	case bert.HeadMLM:
		d := float64(decoded)
		f += 2*d*h*h + 2*d*h*v
	}
	return f
}

// median of sorted values.
func median(sorted []float64) float64 {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}
