package main

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/medbert/medbert/bert"
	"github.com/medbert/medbert/kernels"
	"github.com/medbert/medbert/optim"
)

func TestBenchJSONForwardAndTrain(t *testing.T) {
	for _, mode := range []string{"forward", "train"} {
		args := []string{"bench", "--config", tinyDir + "/config.json", "--batch", "2", "--seq", "16",
			"--iters", "2", "--warmup", "0", "--threads", "1", "--json"}
		if mode == "train" {
			args = append(args, "--train")
		}
		code, out, errs := medbert(t, args...)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", mode, code, errs)
		}
		var got map[string]any
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("%s: output is not one JSON object: %v\n%s", mode, err, out)
		}
		for _, k := range []string{"sequences_per_s", "ms_per_batch", "gflops", "peak_rss_bytes"} {
			if v, ok := got[k].(float64); !ok || !(v > 0) {
				t.Errorf("%s: %s = %v, want a positive number", mode, k, got[k])
			}
		}
		if got["kernels"] != kernels.Active() || got["mode"] != mode || got["threads"] != 1.0 || got["batch"] != 2.0 || got["seq"] != 16.0 {
			t.Errorf("%s: kernels/mode/threads/batch/seq = %v/%v/%v/%v/%v", mode, got["kernels"], got["mode"], got["threads"], got["batch"], got["seq"])
		}
		// Tiny config: H 64, I 128, 2 layers, 3 labels; tokens 2·16.
		// Encoder 32·2·(8·64² + 4·64·128 + 4·16·64) = 4,456,448; pooler
		// 2·2·64² = 16,384; classifier 2·2·64·3 = 768.
		want := 4456448.0 + 16384 + 768
		wantHead := "base"
		if mode == "train" {
			want *= 3
			wantHead = "seqcls"
		}
		if got["head"] != wantHead {
			t.Errorf("%s: head %v, want %s", mode, got["head"], wantHead)
		}
		if mode == "forward" {
			// base has no classifier; the pooled-only forward skips the last
			// layer's q, output, FFN and attention on 2·15 non-[CLS] rows:
			// 30·(4·64² + 4·64·128 + 4·16·64) = 1,597,440.
			want -= 768 + 1597440
		}
		if got["pooled_only"] != (mode == "forward") {
			t.Errorf("%s: pooled_only %v", mode, got["pooled_only"])
		}
		if g := got["gflop_per_batch"].(float64) * 1e9; g < want*(1-1e-9) || g > want*(1+1e-9) {
			t.Errorf("%s: %g FLOP per batch, want %g", mode, g, want)
		}
		// sequences/s and ms per batch describe the same median.
		if sps, ms := got["sequences_per_s"].(float64), got["ms_per_batch"].(float64); sps*ms/1e3 < 2*(1-1e-9) || sps*ms/1e3 > 2*(1+1e-9) {
			t.Errorf("%s: %g seq/s × %g ms ≠ batch 2", mode, sps, ms)
		}
	}
}

func TestBenchAllRows(t *testing.T) {
	code, out, errs := medbert(t, "bench", "--config", tinyDir+"/config.json", "--batch", "2", "--seq", "16",
		"--iters", "1", "--warmup", "0", "--threads", "1", "--json", "--all-rows")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if want := (4456448.0 + 16384) / 1e9; got["pooled_only"] != false || got["gflop_per_batch"] != want {
		t.Errorf("--all-rows: pooled_only %v, %v GFLOP per batch, want false and %v", got["pooled_only"], got["gflop_per_batch"], want)
	}
}

func TestBenchTextEveryHeadFromModelDir(t *testing.T) {
	for _, h := range []string{"tokencls", "qa", "mlm"} {
		code, out, errs := medbert(t, "bench", "--model", tinyDir, "--head", h, "--batch", "2", "--seq", "8", "--iters", "1", "--train")
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", h, code, errs)
		}
		if !strings.Contains(out, "train, head "+h) || !strings.Contains(out, "sequences/s") || !strings.Contains(out, "GFLOP/s") || !strings.Contains(out, "peak RSS") {
			t.Errorf("%s: output\n%s", h, out)
		}
	}
}

func TestBenchFLOPsCountTheHeads(t *testing.T) {
	cfg, err := bert.ParseConfig(benchDefaultConfig, "embedded")
	if err != nil {
		t.Fatal(err)
	}
	// bert-base, batch 8 × seq 128: 12·1024·(8·768² + 4·768·3072 + 4·128·768)
	// = 178,778,013,696, plus the pooler 2·8·768² = 9,437,184.
	if got, want := forwardFLOPs(cfg, bert.HeadBase, 8, 128, 1024), 178778013696.0+9437184; got != want {
		t.Errorf("base: %.0f FLOP, want %.0f", got, want)
	}
	base := forwardFLOPs(cfg, bert.HeadBase, 8, 128, 1024) - 9437184
	// The MLM decoder is a 1024×768 · 768×28996 GEMM after a 768² transform.
	if got, want := forwardFLOPs(cfg, bert.HeadMLM, 8, 128, 1024)-base, 2*1024*768*768+2*1024*768*28996.0; got != want {
		t.Errorf("mlm head: %.0f FLOP, want %.0f", got, want)
	}
}

func TestBenchRejectsBadFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--config", "a.json", "--model", "dir"}, "not both"},
		{[]string{"--batch", "0"}, "must be positive"},
		{[]string{"--threads", "0"}, "--threads 0"},
		{[]string{"--iters", "0"}, "--iters 0"},
		{[]string{"--head", "base", "--train"}, "needs a head with a loss"},
		{[]string{"--head", "nope"}, "unknown head"},
		{[]string{"--config", tinyDir + "/config.json", "--seq", "65"}, "max_position_embeddings 64"},
		{[]string{"--config", "/nonexistent/config.json"}, "config"},
	} {
		code, _, errs := medbert(t, append([]string{"bench"}, c.args...)...)
		if code != 1 || !strings.Contains(errs, c.want) {
			t.Errorf("bench %v: exit %d, stderr %q; want exit 1 mentioning %q", c.args, code, errs, c.want)
		}
	}
}

// An int8 folder benches its forward like any model; --train is refused with
// a message about the flag, not the model's internal training mode.
func TestBenchInt8Folder(t *testing.T) {
	q := t.TempDir()
	if code, _, errs := medbert(t, "quantize", "--model", tinyDir, "--output", q); code != 0 {
		t.Fatalf("quantize: exit %d: %s", code, errs)
	}
	code, out, errs := medbert(t, "bench", "--model", q, "--batch", "2", "--seq", "8", "--iters", "1", "--warmup", "0", "--json")
	if code != 0 {
		t.Fatalf("forward: exit %d: %s", code, errs)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil || got["mode"] != "forward" || !(got["sequences_per_s"].(float64) > 0) {
		t.Fatalf("forward: %v, output %s", err, out)
	}
	code, _, errs = medbert(t, "bench", "--model", q, "--batch", "2", "--seq", "8", "--iters", "1", "--train")
	if code != 1 || !strings.Contains(errs, "--train needs a float32 model") || strings.Contains(errs, "goroutine") {
		t.Errorf("--train on int8: exit %d, stderr %q", code, errs)
	}
}

// TestBenchTrainStepSparseMatchesDense: trainStep, whose word-embedding
// gradient is row-sparse (dense for the MLM head's tied table), leaves the
// weights of the same steps run with every gradient dense, bit for bit.
func TestBenchTrainStepSparseMatchesDense(t *testing.T) {
	for _, h := range []string{bert.HeadSeqCls, bert.HeadTokenCls, bert.HeadQA, bert.HeadMLM} {
		load := func() *bert.Model {
			m, _, err := bert.Load(tinyDir, bert.LoadOptions{Head: h})
			if err != nil {
				t.Fatal(err)
			}
			return m
		}
		sparse, dense := load(), load()
		in, labels := benchInput(sparse, 2, 8, rand.New(rand.NewPCG(3, 4)))
		step := trainStep(sparse, in, labels)
		// The same step with dense gradients only.
		dropout := rand.New(rand.NewPCG(1, 2))
		var opt *optim.AdamW
		var ops []optim.Param
		for i := 0; i < 3; i++ {
			if err := step(); err != nil {
				t.Fatal(err)
			}
			out, err := dense.Forward(in, labels, bert.Options{Grad: true, Dropout: dropout})
			if err != nil {
				t.Fatal(err)
			}
			out.Loss.Backward()
			if opt == nil {
				for _, p := range dense.Params() {
					ops = append(ops, optim.Param{Name: p.Name, Data: p.T.Data, Grad: p.T.Grad})
				}
				optim.SetHFNoDecay(ops)
				cfg := optim.DefaultAdamWConfig()
				cfg.WeightDecay = 0.01
				if opt, err = optim.NewAdamW(ops, cfg); err != nil {
					t.Fatal(err)
				}
			}
			if err := opt.StepScaled(2e-5, optim.ClipCoef(optim.GradNorm(ops), 1.0)); err != nil {
				t.Fatal(err)
			}
			dense.ZeroGrad()
		}
		word := sparse.Bert.Embeddings.WordEmbeddings.Weight
		if isMLM := h == bert.HeadMLM; (word.RowGrad() == nil) != isMLM || (word.Grad == nil) == isMLM {
			t.Errorf("%s: row-sparse %v, dense %v", h, word.RowGrad() != nil, word.Grad != nil)
		}
		ps, pd := sparse.Params(), dense.Params()
		if &ps[0].T.Data[0] == &pd[0].T.Data[0] {
			t.Fatal("the two models share their weights: the comparison is vacuous")
		}
		for i := range ps {
			for j, v := range ps[i].T.Data {
				if math.Float32bits(v) != math.Float32bits(pd[i].T.Data[j]) {
					t.Fatalf("%s: %s[%d] = %v, dense steps %v", h, ps[i].Name, j, v, pd[i].T.Data[j])
				}
			}
		}
	}
}
