package main

import (
	"flag"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/medbert/medbert/pretrain"
	"github.com/medbert/medbert/pretrained"
	"github.com/medbert/medbert/train"
)

func init() {
	register(&command{
		name:    "pretrain",
		summary: "masked-LM pre-training: continue a BERT on your own notes, or build one from scratch",
		run:     runPretrain,
	})
}

// stringsFlag is a repeatable string flag.
type stringsFlag []string

func (s *stringsFlag) String() string     { return strings.Join(*s, ",") }
func (s *stringsFlag) Set(v string) error { *s = append(*s, v); return nil }

type pretrainCmd struct {
	o              pretrain.Options
	a              train.Args
	files          stringsFlag
	lower, noLower bool
}

func runPretrain(args []string, stdout, stderr io.Writer) error {
	c := &pretrainCmd{a: train.Defaults()}
	c.a.OutputDir, c.a.MaxSeqLength, c.a.LearningRate = "", 128, 1e-4
	if err := parseFlagsOnly(c.flags(stderr), args); err != nil {
		return err
	}
	dir, cleanup, err := builtinModel(c.o.ModelDir)
	if err != nil {
		return err
	}
	defer cleanup()
	c.o.ModelDir = dir
	if err := c.check(); err != nil {
		return err
	}
	ctx, stop := interruptContext(stderr)
	defer stop()
	c.o.Log = stderr
	res, err := pretrain.Run(ctx, c.o)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "pre-trained %d steps in %s (%.1f sequences/s), train loss %.4f\n", res.Train.GlobalStep,
		res.Train.Runtime.Round(time.Second), res.Train.SamplesPerSecond, res.Train.TrainLoss)
	if e := res.Eval; e != nil {
		fmt.Fprintf(stdout, "validation: MLM loss %.4f, perplexity %.2f, masked-token accuracy %.4f (%d masked tokens)\n",
			e.Loss, e.Perplexity, e.Accuracy, e.Masked)
	}
	fmt.Fprintf(stdout, "model saved in %s\nnext: medbert train --model %s --train-file ...\n", c.a.OutputDir, c.a.OutputDir)
	return nil
}

func (c *pretrainCmd) flags(stderr io.Writer) *flag.FlagSet {
	fs := newFlags("pretrain", "pretrain (--model DIR | --config CONFIG.json --vocab vocab.txt) --train-file F [--train-file F2 ...] [--validation-file F] --output-dir OUT [flags]", stderr)
	bindTrainingArgs(fs, &c.a, &classWeightsFlag{})
	fs.StringVar(&c.o.ModelDir, "model", "", "BERT folder to continue pre-training (its cls.predictions head is used when present), or "+pretrained.Name)
	fs.StringVar(&c.o.ConfigPath, "config", "", "config.json of a model pre-trained from scratch (with --vocab)")
	fs.StringVar(&c.o.VocabPath, "vocab", "", "vocab.txt of a model pre-trained from scratch")
	fs.Var(&c.files, "train-file", "corpus: plain text (a document per line), .jsonl with a text field, or .gz of either (repeatable)")
	fs.StringVar(&c.o.ValidationFile, "validation-file", "", "held-out text for MLM loss, perplexity and masked-token accuracy")
	fs.StringVar(&c.o.Corpus.TextField, "text-field", "text", "JSONL field holding the text")
	fs.BoolVar(&c.o.Corpus.BlankLineDocuments, "blank-line-documents", false, "plain text: a document is a paragraph up to a blank line (default: one per line)")
	fs.Float64Var(&c.o.MLMProbability, "mlm-probability", 0.15, "fraction of tokens selected for prediction (80% [MASK], 10% random, 10% kept)")
	fs.BoolVar(&c.o.WholeWordMask, "whole-word-mask", false, "select whole words (a piece and its ## continuations) instead of single pieces")
	fs.BoolVar(&c.lower, "lower", false, "lower-case and strip accents (override the tokenizer casing)")
	fs.BoolVar(&c.noLower, "no-lower", false, "keep case (override the tokenizer casing)")
	fs.BoolVar(&c.o.Overwrite, "overwrite-output-dir", false, "start over even if --output-dir holds checkpoints")
	return fs
}

// check validates every flag before any file is read.
func (c *pretrainCmd) check() error {
	if len(c.files) == 0 {
		return fmt.Errorf("--train-file is required")
	}
	if c.a.OutputDir == "" {
		return fmt.Errorf("--output-dir is required")
	}
	if (c.o.ModelDir == "") == (c.o.ConfigPath == "") {
		return fmt.Errorf("give --model DIR, or --config CONFIG.json with --vocab vocab.txt")
	}
	if c.o.ModelDir != "" {
		if err := checkDir("model", c.o.ModelDir, "a BERT model folder (or use --config and --vocab for a new model)"); err != nil {
			return err
		}
	} else {
		if err := checkFile("config", c.o.ConfigPath, "a BERT config.json"); err != nil {
			return err
		}
		if c.o.VocabPath == "" {
			return fmt.Errorf("--config needs --vocab")
		}
		if err := checkFile("vocab", c.o.VocabPath, "a WordPiece vocab.txt"); err != nil {
			return err
		}
	}
	for _, f := range c.files {
		if err := checkFile("train-file", f, "a text, .jsonl or .gz corpus file"); err != nil {
			return err
		}
	}
	if c.o.ValidationFile != "" {
		if err := checkFile("validation-file", c.o.ValidationFile, "a text, .jsonl or .gz file"); err != nil {
			return err
		}
	}
	if c.lower && c.noLower {
		return fmt.Errorf("--lower and --no-lower contradict each other")
	}
	if c.lower || c.noLower {
		c.o.Lower = &c.lower
	}
	if p := c.o.MLMProbability; !(p > 0 && p < 1) || math.IsNaN(p) {
		return fmt.Errorf("--mlm-probability %g must be in (0, 1)", p)
	}
	if c.a.MaxSeqLength < 8 {
		return fmt.Errorf("--max-seq-length %d must be at least 8", c.a.MaxSeqLength)
	}
	if err := c.a.Validate(); err != nil {
		return err
	}
	c.o.TrainFiles, c.o.Args = c.files, &c.a
	return nil
}
