package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"

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
	modelDir, dataFile, jsonOut, posLabel, compareDir, threshold, groupFields, taskKind string
	maxLen, batch, minGroupSize                                                         int
	targetRecall                                                                        float64
	useRecall, saveThreshold                                                            bool
	df                                                                                  dataFlags
}

func (c *evalCmd) flags(stderr io.Writer) *flag.FlagSet {
	fs := newFlags("eval", "eval --model DIR --data FILE [--json OUT] [--threshold P|LABEL:P|none | --target-recall R [--save-threshold]] [--group-field F,G] [--compare REF_DIR] [flags]", stderr)
	fs.StringVar(&c.modelDir, "model", "", "fine-tuned model folder")
	fs.StringVar(&c.taskKind, "task", "", "classification, ner (CoNLL --data) or qa (SQuAD JSON --data); default: what the model folder was trained for")
	fs.StringVar(&c.dataFile, "data", "", "labelled data (.jsonl, .csv, .tsv, PubMedQA .json)")
	fs.StringVar(&c.jsonOut, "json", "", "also write the report as JSON to this file")
	fs.IntVar(&c.maxLen, "max-seq-length", 0, "truncate inputs to N tokens (default: max_position_embeddings, at most 512)")
	fs.IntVar(&c.batch, "batch-size", 8, "inputs per forward pass")
	fs.IntVar(&c.batch, "per-device-eval-batch-size", 8, "alias of --batch-size")
	fs.StringVar(&c.threshold, "threshold", "", "binary tasks: predict the positive label when its probability >= P (LABEL:P names it; none = argmax); "+
		"default: the model folder's "+pipeline.ThresholdFile+" if any, else argmax")
	fs.Float64Var(&c.targetRecall, "target-recall", 0, "binary tasks: pick the highest threshold whose recall of the positive label is >= R on --data (choose it on validation data, save it with --save-threshold, then evaluate the test set)")
	fs.BoolVar(&c.saveThreshold, "save-threshold", false, "write the threshold (from --target-recall or --threshold) into the model folder as "+pipeline.ThresholdFile+"; predict then applies it")
	fs.StringVar(&c.posLabel, "positive-label", "", "binary tasks: the positive label for --target-recall (default: id 1)")
	fs.StringVar(&c.groupFields, "group-field", "", "comma-separated data fields (e.g. sex,age_band): report every metric per subgroup and the largest gaps")
	fs.IntVar(&c.minGroupSize, "min-group-size", metrics.DefaultMinGroupSize, "--group-field: groups with fewer examples are flagged too small to judge")
	fs.StringVar(&c.compareDir, "compare", "", "also evaluate this reference model folder (e.g. the float32 original of an int8 --model) and report label agreement and logit differences")
	c.df.bind(fs)
	return fs
}

// check validates the flags and paths before any model is loaded.
func (c *evalCmd) check(fs *flag.FlagSet) error {
	if c.dataFile == "" {
		return errors.New("--data is required")
	}
	fs.Visit(func(f *flag.Flag) { c.useRecall = c.useRecall || f.Name == "target-recall" })
	switch {
	case c.useRecall && c.threshold != "":
		return errors.New("give --threshold or --target-recall, not both")
	case c.useRecall && !(c.targetRecall > 0 && c.targetRecall <= 1):
		return fmt.Errorf("--target-recall must be in (0, 1], got %v", c.targetRecall)
	case c.saveThreshold && !c.useRecall && (c.threshold == "" || c.threshold == "none"):
		return errors.New("--save-threshold needs --target-recall R (or --threshold P) to choose the threshold it saves")
	case c.batch < 1:
		return fmt.Errorf("--batch-size must be >= 1, got %d", c.batch)
	case c.minGroupSize < 1:
		return fmt.Errorf("--min-group-size must be >= 1, got %d", c.minGroupSize)
	}
	if c.threshold != "" && c.threshold != "none" {
		if _, err := pipeline.ParseThreshold(c.threshold, nil, nil); err != nil {
			return fmt.Errorf("--threshold: %w", err)
		}
	}
	if c.groupFields != "" {
		if _, err := c.groups(); err != nil {
			return err
		}
		c.df.keepFields = true
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

// groups splits --group-field.
func (c *evalCmd) groups() ([]string, error) {
	var out []string
	for _, f := range strings.Split(c.groupFields, ",") {
		if f = strings.TrimSpace(f); f == "" {
			return nil, fmt.Errorf("--group-field %q: empty field name", c.groupFields)
		}
		out = append(out, f)
	}
	return out, nil
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
	if c.modelDir == "" {
		return errors.New("--model is required")
	}
	kind, err := resolveTask(c.taskKind, c.modelDir)
	if err != nil {
		return err
	}
	if kind != taskClassification {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		defer stop()
		if kind == taskQA {
			return c.evalQA(ctx, stdout)
		}
		return c.evalNER(ctx, stdout, stderr)
	}
	opts := pipeline.Options{MaxLength: c.maxLen, BatchSize: c.batch}
	p, err := loadClassifier("model", c.modelDir, opts)
	if err != nil {
		return err
	}
	src := "max_position_embeddings, at most 512"
	if c.maxLen != 0 {
		src = "--max-seq-length"
	}
	fmt.Fprintf(stderr, "eval: max length %d tokens (%s); longer inputs are truncated\n", p.MaxLength, src)
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
	rep, yPred, err := c.decide(stdout, p, exs, r, extra)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d examples, loss %.4f\n", len(exs), r.Loss)
	if err := rep.WriteText(stdout); err != nil {
		return err
	}
	if c.groupFields != "" {
		if extra["subgroups"], err = c.audit(stdout, p, exs, r, yPred); err != nil {
			return err
		}
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

// decide applies the decision rule — --target-recall, --threshold, the
// folder's saved threshold, else argmax — and returns the report and the
// predicted ids at that rule (nil for argmax). It saves the threshold
// with --save-threshold.
func (c *evalCmd) decide(w io.Writer, p *pipeline.Pipeline, exs []data.Example, r *seqcls.EvalResult, extra map[string]any) (*metrics.Report, []int, error) {
	labels := p.Labels.Names()
	var th *pipeline.Threshold
	var err error
	from := "--threshold"
	switch {
	case c.useRecall:
		if th, err = c.chooseThreshold(p, exs, r, extra); err != nil {
			return nil, nil, err
		}
		from = fmt.Sprintf("the highest with recall >= %g on %s", c.targetRecall, filepath.Base(c.dataFile))
	case c.threshold == "none":
	case c.threshold != "":
		def := p.Threshold
		if c.posLabel != "" {
			def = &pipeline.Threshold{Label: c.posLabel}
		}
		if th, err = pipeline.ParseThreshold(c.threshold, labels, def); err != nil {
			return nil, nil, fmt.Errorf("--threshold: %w", err)
		}
		th.Data, th.Examples = filepath.Base(c.dataFile), len(exs)
	case p.Threshold != nil:
		th, from = p.Threshold, "saved in "+pipeline.ThresholdFile
	}
	if th == nil {
		return r.Report, nil, nil
	}
	pos, _ := p.Labels.ID(th.Label)
	yTrue, err := p.Labels.Encode(exs)
	if err != nil {
		return nil, nil, err
	}
	extra["threshold"], extra["positive_label"] = th.Value, th.Label
	fmt.Fprintf(w, "decision threshold %.6g on P(%s) (%s)\n", th.Value, th.Label, from)
	yPred := seqcls.ThresholdPredictions(r.Probs, pos, th.Value)
	rep, err := metrics.NewReport(yTrue, yPred, r.Probs, labels)
	if err != nil || !c.saveThreshold {
		return rep, yPred, err
	}
	th.Recall, th.Precision = &rep.PerClass[pos].Recall, &rep.PerClass[pos].Precision
	if err := pipeline.SaveThreshold(c.modelDir, *th); err != nil {
		return nil, nil, err
	}
	fmt.Fprintf(w, "saved the threshold in %s; predict applies it (--threshold none to ignore it)\n", filepath.Join(c.modelDir, pipeline.ThresholdFile))
	return rep, yPred, nil
}

// chooseThreshold picks the threshold for --target-recall with
// metrics.ThresholdForRecall and records its operating point.
func (c *evalCmd) chooseThreshold(p *pipeline.Pipeline, exs []data.Example, r *seqcls.EvalResult, extra map[string]any) (*pipeline.Threshold, error) {
	labels := p.Labels.Names()
	if len(labels) != 2 {
		return nil, fmt.Errorf("--target-recall needs a binary model; this one has %d labels", len(labels))
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
	scores, positive := make([]float64, len(yTrue)), make([]bool, len(yTrue))
	for i, y := range yTrue {
		scores[i], positive[i] = r.Probs[i][pos], y == pos
	}
	op, err := metrics.ThresholdForRecall(scores, positive, c.targetRecall)
	if err != nil {
		return nil, fmt.Errorf("--target-recall on %s: %w", filepath.Base(c.dataFile), err)
	}
	extra["operating_point"] = op
	target := c.targetRecall
	return &pipeline.Threshold{Label: labels[pos], Value: op.Threshold, TargetRecall: &target,
		Data: filepath.Base(c.dataFile), Examples: len(exs)}, nil
}

// audit reports every metric per subgroup of the --group-field fields,
// read from the data rows; a row without the field is group "(missing)".
func (c *evalCmd) audit(w io.Writer, p *pipeline.Pipeline, exs []data.Example, r *seqcls.EvalResult, yPred []int) (*metrics.SubgroupAudit, error) {
	names, _ := c.groups()
	var fields []metrics.GroupField
	for _, n := range names {
		f := metrics.GroupField{Name: n, Values: make([]string, len(exs))}
		found := false
		for i, e := range exs {
			v, ok := e.Field(n)
			if !ok {
				v = "(missing)"
			}
			f.Values[i], found = v, found || ok
		}
		if !found {
			return nil, fmt.Errorf("--group-field %s: no row of %s has this field", n, filepath.Base(c.dataFile))
		}
		fields = append(fields, f)
	}
	yTrue, err := p.Labels.Encode(exs)
	if err != nil {
		return nil, err
	}
	a, err := metrics.AuditSubgroups(yTrue, yPred, r.Probs, p.Labels.Names(), fields, metrics.AuditOptions{MinGroupSize: c.minGroupSize})
	if err != nil {
		return nil, err
	}
	fmt.Fprintln(w)
	return a, a.WriteText(w)
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
