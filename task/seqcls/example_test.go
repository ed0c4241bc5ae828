package seqcls_test

import (
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"github.com/medbert/medbert/bert"
	"github.com/medbert/medbert/data"
	"github.com/medbert/medbert/optim"
	"github.com/medbert/medbert/pipeline"
	"github.com/medbert/medbert/task/seqcls"
	"github.com/medbert/medbert/tokenize"
)

// A complete training loop written against the public API instead of
// train.Trainer: featurize, then per step collate a batch, run a
// training-mode forward with the head's loss, backward, clip the
// gradients, take an AdamW step at the scheduled learning rate, and at the
// end save a model folder that pipeline.Load reads. It fine-tunes the
// repository's tiny test model on six labelled texts.
func Example_trainingLoop() {
	m, _, err := bert.Load(filepath.Join("..", "..", "testdata", "golden", "tiny"), bert.LoadOptions{Head: bert.HeadSeqCls})
	if err != nil {
		log.Fatal(err)
	}
	// The tiny model's ids index the first 512 bert-base-cased tokens.
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "vocab", "bert-base-cased-vocab.txt"))
	if err != nil {
		log.Fatal(err)
	}
	v, err := tokenize.NewVocab("vocab.txt", strings.Split(string(b), "\n")[:512])
	if err != nil {
		log.Fatal(err)
	}
	tok, err := tokenize.New(v, tokenize.VocabSettings(v, nil))
	if err != nil {
		log.Fatal(err)
	}
	labels, err := data.NewLabels(m.Config.Labels()) // NEGATIVE, NEUTRAL, POSITIVE
	if err != nil {
		log.Fatal(err)
	}
	exs := []data.Example{
		{Text: "a b c", Label: "NEGATIVE"}, {Text: "x y z", Label: "POSITIVE"}, {Text: "m n", Label: "NEUTRAL"},
		{Text: "a c b", Label: "NEGATIVE"}, {Text: "z y x", Label: "POSITIVE"}, {Text: "n m", Label: "NEUTRAL"},
	}
	feats, err := seqcls.Featurize(tok, labels, exs, 16)
	if err != nil {
		log.Fatal(err)
	}

	// AdamW over every parameter, HF's no-decay groups; the gradient
	// buffers appear with the first backward, so they are attached then.
	params := m.Params()
	ops := make([]optim.Param, len(params))
	for i, p := range params {
		ops[i] = optim.Param{Name: p.Name, Data: p.T.Data}
	}
	optim.SetHFNoDecay(ops)
	cfg := optim.DefaultAdamWConfig()
	cfg.WeightDecay = 0.01
	opt, err := optim.NewAdamW(ops, cfg)
	if err != nil {
		log.Fatal(err)
	}
	const steps, batch = 30, 3
	sched, err := optim.NewScheduler(3e-3, optim.Schedule{Kind: optim.Linear, WarmupSteps: 3, TotalSteps: steps})
	if err != nil {
		log.Fatal(err)
	}
	dropout := rand.New(rand.NewPCG(1, 2)) // training-mode dropout masks

	var losses []float32
	for step := 0; step < steps; step++ {
		lo := (step * batch) % len(feats)
		fs := feats[lo : lo+batch]
		out, err := m.Forward(seqcls.Collate(fs, tok.PadID()), &bert.Labels{Class: seqcls.Labels(fs)},
			bert.Options{Grad: true, Dropout: dropout})
		if err != nil {
			log.Fatal(err)
		}
		losses = append(losses, out.Loss.Item())
		out.Loss.Backward()
		out.Loss.FreeGraph()
		for i, p := range params {
			opt.Params()[i].Grad = p.T.Grad
		}
		optim.ClipGradNorm(opt.Params(), 1.0)
		if err := opt.Step(sched.LR()); err != nil {
			log.Fatal(err)
		}
		sched.Step()
		m.ZeroGrad()
	}
	first := (losses[0] + losses[1]) / 2
	last := (losses[steps-2] + losses[steps-1]) / 2
	fmt.Printf("loss fell: %v (%.1f -> %.1f)\n", last < first/2, first, last)

	// Save a folder that pipeline.Load, medbert predict and HF read.
	dir, err := os.MkdirTemp("", "medbert-trained")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	p, err := pipeline.New(m, tok, pipeline.Options{})
	if err != nil {
		log.Fatal(err)
	}
	if err := p.Save(dir); err != nil {
		log.Fatal(err)
	}
	q, err := pipeline.Load(dir, pipeline.Options{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("saved:", q.Task, q.Labels.Names())
	// Output:
	// loss fell: true (1.1 -> 0.1)
	// saved: classification [NEGATIVE NEUTRAL POSITIVE]
}
