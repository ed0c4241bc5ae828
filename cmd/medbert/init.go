package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/medbert/medbert/bert"
	"github.com/medbert/medbert/tokenize"
)

func init() {
	register(&command{
		name:    "init",
		summary: "write a randomly initialised model folder (HF layout) from a config.json",
		run:     runInit,
	})
}

func runInit(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("init", "init --config CONFIG.json --output DIR [--seed N] [--vocab vocab.txt] [--head base|seqcls|tokencls|qa|mlm] [--force]", stderr)
	config := fs.String("config", "", "HF config.json giving the model shape")
	output := fs.String("output", "", "folder to write (config.json, model.safetensors, vocab.txt)")
	seed := fs.Uint64("seed", 0, "seed of the N(0, initializer_range) initialisation")
	vocab := fs.String("vocab", "", "WordPiece vocab.txt to copy into the folder (must fit vocab_size)")
	head := fs.String("head", "", "head to build: base, seqcls, tokencls, qa, mlm (default: the config's architectures, else base)")
	force := fs.Bool("force", false, "overwrite an existing model in --output")
	if err := parseFlagsOnly(fs, args); err != nil {
		return err
	}
	if *config == "" || *output == "" {
		fs.Usage()
		return errors.New("--config and --output are required")
	}
	cfg, err := bert.LoadConfig(*config)
	if err != nil {
		return err
	}
	for _, w := range cfg.Warnings {
		fmt.Fprintln(stderr, "warning:", w)
	}
	h := *head
	if h == "" {
		h = bert.DefaultHead(cfg)
	}
	if err := bert.CheckHead(h); err != nil {
		return err
	}
	if *vocab != "" {
		v, err := tokenize.LoadVocab(*vocab)
		if err != nil {
			return err
		}
		if v.Len() > cfg.VocabSize {
			return fmt.Errorf("%s has %d entries but the config's vocab_size is %d: ids past %d would be out of range", *vocab, v.Len(), cfg.VocabSize, cfg.VocabSize-1)
		}
		if v.Len() < cfg.VocabSize {
			fmt.Fprintf(stderr, "warning: %s has %d entries, fewer than vocab_size %d (the extra embedding rows stay unused)\n", *vocab, v.Len(), cfg.VocabSize)
		}
	}
	if !*force {
		for _, f := range []string{bert.FileConfig, bert.FileSafetensors} {
			if _, err := os.Stat(filepath.Join(*output, f)); err == nil {
				return fmt.Errorf("%s already holds a model (%s); use --force to overwrite", *output, f)
			}
		}
	}
	m, err := bert.New(cfg, h, *seed)
	if err != nil {
		return fmt.Errorf("%s: %w", *config, err)
	}
	if err := m.Save(*output); err != nil {
		return err
	}
	if *vocab != "" {
		b, err := os.ReadFile(*vocab)
		if err != nil {
			return err
		}
		if err := bert.WriteFileAtomic(filepath.Join(*output, "vocab.txt"), b); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "wrote %s: %s, %s parameters, seed %d\n", *output, bert.ClassName(h), humanCount(m.NumParams()), *seed)
	return nil
}

// humanCount formats a parameter count like HF model cards (108.9M).
func humanCount(n int) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.2fB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.1fM", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1fK", float64(n)/1e3)
	}
	return fmt.Sprint(n)
}
