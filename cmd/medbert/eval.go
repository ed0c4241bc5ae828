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

	"github.com/medbert/medbert/metrics"
	"github.com/medbert/medbert/train"
)

func init() {
	register(&command{
		name:    "eval",
		summary: "evaluate a fine-tuned model on a labelled file: metrics table, confusion matrix, --json report",
		run:     runEval,
	})
}

func runEval(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("eval", "eval --model DIR --data FILE [--json OUT] [--threshold P | --target-recall R] [--compare REF_DIR] [flags]", stderr)
	var modelDir, dataFile, jsonOut, posLabel, compareDir string
	var maxLen, batch int
	var threshold, targetRecall float64
	fs.StringVar(&modelDir, "model", "", "fine-tuned model folder")
	fs.StringVar(&dataFile, "data", "", "labelled data (.jsonl, .csv, .tsv, PubMedQA .json)")
	fs.StringVar(&jsonOut, "json", "", "also write the report as JSON to this file")
	fs.IntVar(&maxLen, "max-seq-length", 0, "truncate inputs to N tokens (default: max_position_embeddings, at most 512)")
	fs.IntVar(&batch, "batch-size", 8, "inputs per forward pass")
	fs.IntVar(&batch, "per-device-eval-batch-size", 8, "alias of --batch-size")
	fs.Float64Var(&threshold, "threshold", 0, "binary tasks: predict the positive label when its probability >= P (default argmax)")
	fs.Float64Var(&targetRecall, "target-recall", 0, "binary tasks: pick the highest threshold whose recall of the positive label is >= R on --data (choose it on validation data, then pass that --threshold when evaluating the test set)")
	fs.StringVar(&posLabel, "positive-label", "", "binary tasks: the positive label (default: id 1)")
	fs.StringVar(&compareDir, "compare", "", "also evaluate this reference model folder (e.g. the float32 original of an int8 --model) and report label agreement and logit differences")
	var df dataFlags
	df.bind(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if dataFile == "" {
		return errors.New("--data is required")
	}
	// An explicit 0 is meaningful (--threshold 0 calls every case positive),
	// so "set" means given on the command line, not non-zero.
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	useThreshold, useRecall := set["threshold"], set["target-recall"]
	if useThreshold && useRecall {
		return errors.New("give --threshold or --target-recall, not both")
	}
	if threshold < 0 || threshold > 1 || targetRecall < 0 || targetRecall > 1 {
		return errors.New("--threshold and --target-recall must be in [0, 1]")
	}
	ms, err := loadClassifier(modelDir, 42)
	if err != nil {
		return err
	}
	if maxLen, err = ms.maxSeqLength(maxLen); err != nil {
		return err
	}
	exs, err := df.read(dataFile, stderr)
	if err != nil {
		return err
	}
	feats, err := ms.featurize(exs, maxLen)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	labels := ms.model.Config.Labels()
	r, err := train.EvaluateFeatures(ctx, ms.model, feats, labels, ms.tok.padID, batch, nil)
	if err != nil {
		return err
	}
	extra := map[string]any{"loss": r.Loss}
	var cmp *quantComparison
	if compareDir != "" {
		ref, err := loadClassifier(compareDir, 42)
		if err != nil {
			return fmt.Errorf("--compare: %w", err)
		}
		refFeats, err := ref.featurize(exs, maxLen)
		if err != nil {
			return fmt.Errorf("--compare: %w", err)
		}
		rr, err := train.EvaluateFeatures(ctx, ref.model, refFeats, ref.model.Config.Labels(), ref.tok.padID, batch, nil)
		if err != nil {
			return fmt.Errorf("--compare: %w", err)
		}
		if cmp, err = compareEval(r, rr); err != nil {
			return err
		}
		extra["compare"] = cmp
	}
	rep := r.Report
	if useThreshold || useRecall {
		if len(labels) != 2 {
			return fmt.Errorf("--threshold/--target-recall need a binary model; this one has %d labels", len(labels))
		}
		pos := 1
		if posLabel != "" {
			id, ok := ms.labelID[posLabel]
			if !ok {
				return fmt.Errorf("--positive-label %q is not one of %v", posLabel, labels)
			}
			pos = id
		}
		yTrue := make([]int, len(feats))
		for i, f := range feats {
			yTrue[i] = f.Label
		}
		if useRecall {
			threshold, err = thresholdForRecall(yTrue, r.Probs, pos, targetRecall)
			if err != nil {
				return err
			}
		}
		yPred := make([]int, len(feats))
		for i, p := range r.Probs {
			yPred[i] = 1 - pos
			if p[pos] >= threshold {
				yPred[i] = pos
			}
		}
		if rep, err = metrics.NewReport(yTrue, yPred, r.Probs, labels); err != nil {
			return err
		}
		extra["threshold"] = threshold
		extra["positive_label"] = labels[pos]
		fmt.Fprintf(stdout, "decision threshold %.6g on P(%s)\n", threshold, labels[pos])
	}
	fmt.Fprintf(stdout, "%d examples, loss %.4f\n", len(feats), r.Loss)
	if err := rep.WriteText(stdout); err != nil {
		return err
	}
	if cmp != nil {
		fmt.Fprintln(stdout)
		cmp.write(stdout)
	}
	if jsonOut != "" {
		b, err := reportJSON(rep, extra)
		if err != nil {
			return err
		}
		if err := train.WriteFileAtomic(jsonOut, b); err != nil {
			return err
		}
	}
	return nil
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
