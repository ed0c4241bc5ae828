package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/medbert/medbert/card"
	"github.com/medbert/medbert/pipeline"
)

func init() {
	register(&command{
		name:    "card",
		summary: "write a model card: intended use, data, method, metrics with intervals, calibration, subgroups, limits, charts",
		run:     runCard,
	})
}

type cardCmd struct {
	model, data, out, split, limits string
	seed                            uint64
	df                              dataFlags
}

func runCard(args []string, stdout, stderr io.Writer) error {
	var c cardCmd
	fs := newFlags("card", "card --model DIR [--data TEST.jsonl] [--out MODEL_CARD.md] [--limit TEXT;TEXT]", stderr)
	fs.StringVar(&c.model, "model", "", "fine-tuned classifier folder (reads its training_args.json and trainer_state.json when present)")
	fs.StringVar(&c.data, "data", "", "labelled held-out data to evaluate on (metrics with bootstrap intervals, calibration, ROC/PR)")
	fs.StringVar(&c.split, "split", "", `how to name the evaluation data in the card (default: "held-out data FILE")`)
	fs.StringVar(&c.out, "out", "", "card file to write (default: MODEL_CARD.md in --model); its charts go to card_figures/ beside it")
	fs.StringVar(&c.limits, "limit", "", "known limits to state, separated by ';'")
	fs.Uint64Var(&c.seed, "seed", 42, "bootstrap seed (the intervals depend only on it)")
	c.df.bind(fs)
	if err := parseFlagsOnly(fs, args); err != nil {
		return err
	}
	if err := c.check(); err != nil {
		return err
	}
	p, err := loadClassifier("model", c.model, pipeline.Options{})
	if err != nil {
		return err
	}
	in, err := p.CardInput(c.model)
	if err != nil {
		return err
	}
	for _, l := range strings.Split(c.limits, ";") {
		if l = strings.TrimSpace(l); l != "" {
			in.Limits = append(in.Limits, l)
		}
	}
	if c.data != "" {
		exs, err := c.df.read(c.data, stderr)
		if err != nil {
			return err
		}
		if in.Eval, err = p.CardEval(context.Background(), c.split, exs, nil, c.seed); err != nil {
			return err
		}
	}
	cd, err := card.Build(in)
	if err != nil {
		return err
	}
	if err := cd.Write(c.out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "model card written to %s (%d charts in %s)\n", c.out, len(cd.Figures), filepath.Join(filepath.Dir(c.out), card.FigureDir))
	return nil
}

func (c *cardCmd) check() error {
	if c.model == "" {
		return fmt.Errorf("--model is required")
	}
	if err := checkDir("model", c.model, "a fine-tuned classifier folder"); err != nil {
		return err
	}
	if c.out == "" {
		c.out = filepath.Join(c.model, pipeline.CardFile)
	}
	if err := checkNewFile("out", c.out); err != nil {
		return err
	}
	if c.data != "" {
		if err := checkFile("data", c.data, "labelled data (.jsonl, .csv, .tsv)"); err != nil {
			return err
		}
		if c.split == "" {
			c.split = "held-out data " + filepath.Base(c.data)
		}
	}
	return nil
}
