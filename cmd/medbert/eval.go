package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"sort"

	"github.com/medbert/medbert/data"
	"github.com/medbert/medbert/metrics"
	"github.com/medbert/medbert/pipeline"
	"github.com/medbert/medbert/task/seqcls"
	"github.com/medbert/medbert/train"
)

func init() {
	register(&command{
		name:    "eval",
		summary: "evaluate a fine-tuned model on a labelled file: metrics table, confusion matrix, --json report",
		run:     runEval,
	})
}

// evalCmd holds the eval command's flags.
type evalCmd struct {
	modelDir, dataFile, jsonOut, posLabel, compareDir string
	maxLen, batch                                     int
	threshold, targetRecall                           float64
	useThreshold, useRecall                           bool
	df                                                dataFlags
}

func (c *evalCmd) flags(stderr io.Writer) *flag.FlagSet {
	fs := newFlags("eval", "eval --model DIR --data FILE [--json OUT] [--threshold P | --target-recall R] [--compare REF_DIR] [flags]", stderr)
	fs.StringVar(&c.modelDir, "model", "", "fine-tuned model folder")
	fs.StringVar(&c.dataFile, "data", "", "labelled data (.jsonl, .csv, .tsv, PubMedQA .json)")
	fs.StringVar(&c.jsonOut, "json", "", "also write the report as JSON to this file")
	fs.IntVar(&c.maxLen, "max-seq-length", 0, "truncate inputs to N tokens (default: max_position_embeddings, at most 512)")
	fs.IntVar(&c.batch, "batch-size", 8, "inputs per forward pass")
	fs.IntVar(&c.batch, "per-device-eval-batch-size", 8, "alias of --batch-size")
	fs.Float64Var(&c.threshold, "threshold", 0, "binary tasks: predict the positive label when its probability >= P (default argmax)")
	fs.Float64Var(&c.targetRecall, "target-recall", 0, "binary tasks: pick the highest threshold whose recall of the positive label is >= R on --data (choose it on validation data, then pass that --threshold when evaluating the test set)")
	fs.StringVar(&c.posLabel, "positive-label", "", "binary tasks: the positive label (default: id 1)")
	fs.StringVar(&c.compareDir, "compare", "", "also evaluate this reference model folder (e.g. the float32 original of an int8 --model) and report label agreement and logit differences")
	c.df.bind(fs)
	return fs
}

// check validates the flags and paths before any model is loaded.
func (c *evalCmd) check(fs *flag.FlagSet) error {
	if c.dataFile == "" {
		return errors.New("--data is required")
	}
	// An explicit 0 is meaningful (--threshold 0 calls every case positive),
	// so "set" means given on the command line, not non-zero.
	fs.Visit(func(f *flag.Flag) {
		c.useThreshold = c.useThreshold || f.Name == "threshold"
		c.useRecall = c.useRecall || f.Name == "target-recall"
	})
	if c.useThreshold && c.useRecall {
		return errors.New("give --threshold or --target-recall, not both")
	}
	if c.threshold < 0 || c.threshold > 1 || c.targetRecall < 0 || c.targetRecall > 1 {
		return errors.New("--threshold and --target-recall must be in [0, 1]")
	}
	if c.batch < 1 {
		return fmt.Errorf("--batch-size must be >= 1, got %d", c.batch)
	}
	if c.jsonOut != "" {
		if err := checkNewFile("json", c.jsonOut); err != nil {
			return err
		}
	}
	if c.compareDir != "" {
		if err := checkDir("compare", c.compareDir, "a reference model folder"); err != nil {
			return err
		}
	}
	return c.df.check(map[string]string{"data": c.dataFile})
}

func runEval(args []string, stdout, stderr io.Writer) error {
	c := &evalCmd{}
	fs := c.flags(stderr)
	if err := parseFlagsOnly(fs, args); err != nil {
		return err
	}
	if err := c.check(fs); err != nil {
		return err
	}
	opts := pipeline.Options{MaxLength: c.maxLen, BatchSize: c.batch}
	p, err := loadClassifier("model", c.modelDir, opts)
	if err != nil {
		return err
	}
	exs, err := c.df.read(c.dataFile, stderr)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	r, err := p.Evaluate(ctx, exs)
	if err != nil {
		return err
	}
	extra := map[string]any{"loss": r.Loss}
	var cmp *seqcls.Comparison
	if c.compareDir != "" {
		if cmp, err = compareWith(ctx, c.compareDir, opts, exs, r); err != nil {
			return err
		}
		extra["compare"] = cmp
	}
	rep := r.Report
	if c.useThreshold || c.useRecall {
		if rep, err = c.operatingPoint(stdout, p, exs, r, extra); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "%d examples, loss %.4f\n", len(exs), r.Loss)
	if err := rep.WriteText(stdout); err != nil {
		return err
	}
	if cmp != nil {
		fmt.Fprintln(stdout)
		cmp.WriteText(stdout)
	}
	if c.jsonOut == "" {
		return nil
	}
	b, err := reportJSON(rep, extra)
	if err != nil {
		return err
	}
	return train.WriteFileAtomic(c.jsonOut, b)
}

// compareWith evaluates the reference model folder on the same examples
// and compares it with r.
func compareWith(ctx context.Context, dir string, opts pipeline.Options, exs []data.Example, r *seqcls.EvalResult) (*seqcls.Comparison, error) {
	ref, err := loadClassifier("compare", dir, opts)
	if err != nil {
		return nil, fmt.Errorf("--compare: %w", err)
	}
	rr, err := ref.Evaluate(ctx, exs)
	if err != nil {
		return nil, fmt.Errorf("--compare: %w", err)
	}
	return seqcls.Compare(r, rr)
}

// operatingPoint applies --threshold or --target-recall to a binary
// model's probabilities and returns the report at that threshold.
func (c *evalCmd) operatingPoint(stdout io.Writer, p *pipeline.Pipeline, exs []data.Example, r *seqcls.EvalResult, extra map[string]any) (*metrics.Report, error) {
	labels := p.Labels.Names()
	if len(labels) != 2 {
		return nil, fmt.Errorf("--threshold/--target-recall need a binary model; this one has %d labels", len(labels))
	}
	pos := 1
	if c.posLabel != "" {
		id, ok := p.Labels.ID(c.posLabel)
		if !ok {
			return nil, fmt.Errorf("--positive-label %q is not one of %v", c.posLabel, labels)
		}
		pos = id
	}
	yTrue, err := p.Labels.Encode(exs)
	if err != nil {
		return nil, err
	}
	threshold := c.threshold
	if c.useRecall {
		if threshold, err = thresholdForRecall(yTrue, r.Probs, pos, c.targetRecall); err != nil {
			return nil, err
		}
	}
	extra["threshold"] = threshold
	extra["positive_label"] = labels[pos]
	fmt.Fprintf(stdout, "decision threshold %.6g on P(%s)\n", threshold, labels[pos])
	return seqcls.ThresholdReport(yTrue, r.Probs, labels, pos, threshold)
}

// reportJSON is the report's JSON object with extra top-level keys.
func reportJSON(rep *metrics.Report, extra map[string]any) ([]byte, error) {
	b, err := rep.JSON()
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	for k, v := range extra {
		m[k] = v
	}
	out, err := json.MarshalIndent(m, "", "  ")
	return append(out, '\n'), err
}

// thresholdForRecall returns the largest threshold t such that predicting
// the positive class when P(pos) >= t recalls at least target of the
// positive examples: the score of the ceil(target·P)-th highest positive.
func thresholdForRecall(yTrue []int, probs [][]float64, pos int, target float64) (float64, error) {
	var s []float64
	for i, y := range yTrue {
		if y == pos {
			s = append(s, probs[i][pos])
		}
	}
	if len(s) == 0 {
		return 0, errors.New("--target-recall: the data has no positive examples")
	}
	sort.Sort(sort.Reverse(sort.Float64Slice(s)))
	// ceil(target·n) positives must score at or above the threshold; the
	// epsilon keeps 0.8·10 from rounding up to 9.
	k := int(math.Ceil(target*float64(len(s))-1e-9)) - 1
	k = max(0, min(k, len(s)-1))
	return s[k], nil
}
