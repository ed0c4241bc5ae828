package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/medbert/medbert/data"
	"github.com/medbert/medbert/train"
)

func init() {
	register(&command{
		name:    "train",
		summary: "fine-tune a BERT model for text classification (HF Trainer flags)",
		run:     runTrain,
	})
}

// dataFlags are the run_glue.py data options shared by train and eval.
type dataFlags struct {
	textColumn, pairColumn, labelColumn string
	format                              string
	noHeader, skipBadRows               bool
}

func (d *dataFlags) bind(fs *flag.FlagSet) {
	fs.StringVar(&d.textColumn, "text-column", "text", "JSON field or CSV/TSV column (name or 0-based index) with the text")
	fs.StringVar(&d.pairColumn, "text-pair-column", "", "field/column with the second text of pair tasks")
	fs.StringVar(&d.labelColumn, "label-column", "label", "field/column with the label")
	fs.StringVar(&d.format, "format", "", "input format: jsonl, csv, tsv, json/pubmedqa (default: by extension)")
	fs.BoolVar(&d.noHeader, "no-header", false, "CSV/TSV files have no header line (give columns by index)")
	fs.BoolVar(&d.skipBadRows, "skip-bad-rows", false, "skip and count malformed rows instead of stopping at the first")
}

func (d *dataFlags) options() (data.Options, error) {
	f, err := data.ParseFormat(d.format)
	if err != nil {
		return data.Options{}, err
	}
	return data.Options{Format: f, TextField: d.textColumn, TextPairField: d.pairColumn, LabelField: d.labelColumn,
		NoHeader: d.noHeader, SkipBadRows: d.skipBadRows}, nil
}

// read reads one labelled file, reporting skipped rows on w.
func (d *dataFlags) read(path string, w io.Writer) ([]data.Example, error) {
	opt, err := d.options()
	if err != nil {
		return nil, err
	}
	exs, sk, err := data.ReadExamples(path, opt)
	if err != nil {
		return nil, err
	}
	if sk.Count > 0 {
		fmt.Fprintf(w, "%s: %s\n", filepath.Base(path), sk)
	}
	if len(exs) == 0 {
		return nil, fmt.Errorf("%s: no examples", path)
	}
	return exs, nil
}

func runTrain(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("train", "train (--model DIR | --config CONFIG.json --vocab vocab.txt) --train-file FILE [--validation-file FILE] [--test-file FILE] [flags]", stderr)
	a := train.Defaults()
	a.OutputDir = ""
	var cw classWeightsFlag
	bindTrainingArgs(fs, &a, &cw)
	var df dataFlags
	df.bind(fs)
	var modelDir, configPath, vocabPath, trainFile, valFile, testFile string
	var overwrite, lower, noLower bool
	fs.BoolVar(&lower, "lower", false, "lower-case and strip accents (override the tokenizer casing of --model or --vocab)")
	fs.BoolVar(&noLower, "no-lower", false, "keep case (override the tokenizer casing of --model or --vocab)")
	fs.StringVar(&modelDir, "model", "", "model folder to fine-tune (config.json, weights, vocab.txt)")
	fs.StringVar(&modelDir, "model-name-or-path", "", "alias of --model")
	fs.StringVar(&configPath, "config", "", "config.json for a model trained from scratch (with --vocab)")
	fs.StringVar(&vocabPath, "vocab", "", "vocab.txt for a model trained from scratch")
	fs.StringVar(&trainFile, "train-file", "", "training data (.jsonl, .csv, .tsv, PubMedQA .json)")
	fs.StringVar(&valFile, "validation-file", "", "validation data, used by --eval-strategy and the best model")
	fs.StringVar(&testFile, "test-file", "", "test data, evaluated once at the end")
	fs.BoolVar(&overwrite, "overwrite-output-dir", false, "train even if --output-dir already holds checkpoints")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if trainFile == "" {
		return errors.New("--train-file is required")
	}
	if a.OutputDir == "" {
		return errors.New("--output-dir is required")
	}
	if (modelDir == "") == (configPath == "") {
		return errors.New("give either --model DIR or --config CONFIG.json --vocab vocab.txt")
	}
	if configPath != "" && vocabPath == "" {
		return errors.New("--config needs --vocab")
	}
	if modelDir != "" && vocabPath != "" {
		return errors.New("--vocab goes with --config; with --model the folder's vocab.txt or tokenizer.json is used")
	}
	if lower && noLower {
		return errors.New("--lower and --no-lower contradict each other")
	}
	var casing *bool
	if lower || noLower {
		casing = &lower
	}
	if a.ResumeFromCheckpoint == "last" || a.ResumeFromCheckpoint == "true" {
		last, err := train.LastCheckpoint(a.OutputDir)
		if err != nil {
			return err
		}
		if last == "" {
			return fmt.Errorf("--resume-from-checkpoint last: no checkpoint in %s", a.OutputDir)
		}
		a.ResumeFromCheckpoint = last
	}
	if a.ResumeFromCheckpoint == "" && !overwrite {
		if cks, _ := train.ListCheckpoints(a.OutputDir); len(cks) > 0 {
			return fmt.Errorf("%s already holds checkpoints; pass --resume-from-checkpoint last to continue or --overwrite-output-dir to start over", a.OutputDir)
		}
	}
	if valFile == "" && (a.EvalStrategy != train.StrategyNo) {
		return errors.New("--eval-strategy needs --validation-file")
	}
	// Check the flags now, before reading data and loading a model that may
	// take a while; they are checked again once the model caps
	// max_seq_length and the labels give the class weights.
	if err := a.Validate(); err != nil {
		return err
	}

	trainEx, err := df.read(trainFile, stderr)
	if err != nil {
		return err
	}
	var valEx, testEx []data.Example
	if valFile != "" {
		if valEx, err = df.read(valFile, stderr); err != nil {
			return err
		}
	}
	if testFile != "" {
		if testEx, err = df.read(testFile, stderr); err != nil {
			return err
		}
	}

	var ms *modelSetup
	if modelDir != "" {
		ms, err = loadForFineTune(modelDir, trainEx, uint64(a.Seed), casing, stderr)
	} else {
		ms, err = newFromScratch(configPath, vocabPath, trainEx, uint64(a.Seed), casing)
	}
	if err != nil {
		return err
	}
	// Casing silently wrong is the classic BioBERT/ClinicalBERT trap: say
	// what was decided and why (the saved tokenizer_config.json then makes
	// it explicit for eval and predict).
	fmt.Fprintf(stderr, "tokenizer: %s (%s)\n", casingWord(ms.tok.tok.Settings().DoLowerCase), ms.tok.tok.Settings().LowerCaseReason)
	if mp := ms.model.Config.MaxPositionEmbeddings; a.MaxSeqLength > mp {
		// run_glue.py: min(max_seq_length, tokenizer.model_max_length).
		fmt.Fprintf(stderr, "max_seq_length %d is larger than the model's max_position_embeddings; using %d\n", a.MaxSeqLength, mp)
		a.MaxSeqLength = mp
	}
	labels := ms.model.Config.Labels()
	if cw.balanced {
		a.ClassWeights = balancedWeights(trainEx, ms.labelID, len(labels))
	} else if cw.weights != nil {
		if len(cw.weights) != len(labels) {
			return fmt.Errorf("--class-weights: %d weights for %d labels (%v)", len(cw.weights), len(labels), labels)
		}
		a.ClassWeights = cw.weights
	}
	if err := a.Validate(); err != nil {
		return err
	}
	for _, sp := range []struct {
		file string
		exs  []data.Example
	}{{trainFile, trainEx}, {valFile, valEx}, {testFile, testEx}} {
		if len(sp.exs) > 0 {
			if err := ms.writeSummary(stderr, filepath.Base(sp.file), sp.exs, a.MaxSeqLength); err != nil {
				return err
			}
		}
	}
	task, err := ms.task(&a, trainEx, valEx)
	if err != nil {
		return err
	}

	ctx, stop := interruptContext(stderr)
	defer stop()
	fmt.Fprintf(stderr, "model: %d layers, hidden %d, %d parameters; labels %v\n", ms.model.Config.NumHiddenLayers,
		ms.model.Config.HiddenSize, ms.model.NumParams(), labels)
	tr := &train.Trainer{Args: &a, Task: task, Log: stderr}
	res, err := tr.Train(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "trained %d steps in %s (%.1f sequences/s), train loss %.4f\n", res.GlobalStep,
		res.Runtime.Round(time.Second), res.SamplesPerSecond, res.TrainLoss)
	if res.BestModelCheckpoint != "" {
		fmt.Fprintf(stdout, "best checkpoint: %s (%s = %.4f)\n", res.BestModelCheckpoint, a.BestMetricKey(), *res.BestMetric)
	}
	if len(valEx) > 0 {
		if err := reportSplit(ctx, stdout, "validation", &a, ms, task.Eval, filepath.Join(a.OutputDir, "eval_results.json")); err != nil {
			return err
		}
	}
	if len(testEx) > 0 {
		tf, err := ms.featurize(testEx, a.MaxSeqLength)
		if err != nil {
			return fmt.Errorf("%s: %w", testFile, err)
		}
		if err := reportSplit(ctx, stdout, "test", &a, ms, tf, filepath.Join(a.OutputDir, "test_results.json")); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "model saved in %s\nnext: medbert predict --model %s \"some text\"\n", a.OutputDir, a.OutputDir)
	return nil
}

// reportSplit evaluates features, prints the metrics table and writes the
// report JSON next to the model.
func reportSplit(ctx context.Context, w io.Writer, name string, a *train.Args, ms *modelSetup, fs []train.Features, jsonPath string) error {
	r, err := train.EvaluateFeatures(ctx, ms.model, fs, ms.model.Config.Labels(), ms.tok.padID, a.PerDeviceEvalBatchSize, nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\n== %s (%d examples, loss %.4f) ==\n", name, len(fs), r.Loss)
	if err := r.Report.WriteText(w); err != nil {
		return err
	}
	b, err := r.Report.JSON()
	if err != nil {
		return err
	}
	return train.WriteFileAtomic(jsonPath, append(b, '\n'))
}

func casingWord(lower bool) string {
	if lower {
		return "lower-casing"
	}
	return "keeping case"
}

// balancedWeights is sklearn's compute_class_weight("balanced"):
// n_samples / (n_classes * count_c); classes absent from the data get 1.
func balancedWeights(exs []data.Example, id map[string]int, k int) []float64 {
	counts := make([]int, k)
	for _, e := range exs {
		counts[id[e.Label]]++
	}
	w := make([]float64, k)
	for c, n := range counts {
		if n == 0 {
			w[c] = 1
			continue
		}
		w[c] = float64(len(exs)) / float64(k*n)
	}
	return w
}

// sortedLabels is the label vocabulary of a training set: the distinct
// labels in data.SortLabels order (numeric when all labels are integers),
// so ids do not depend on row order.
func sortedLabels(exs []data.Example) []string {
	seen := map[string]bool{}
	var ls []string
	for _, e := range exs {
		if !seen[e.Label] {
			seen[e.Label] = true
			ls = append(ls, e.Label)
		}
	}
	data.SortLabels(ls)
	return ls
}

// interruptContext is cancelled by the first Ctrl-C or SIGTERM, which makes
// the trainer save a checkpoint and stop; signal handling is then released
// so a second Ctrl-C aborts at once.
func interruptContext(log io.Writer) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case <-ch:
			signal.Stop(ch)
			fmt.Fprintln(log, "\ninterrupted: saving a checkpoint after the current step (Ctrl-C again to abort)")
			cancel()
		case <-ctx.Done():
			signal.Stop(ch)
		}
	}()
	return ctx, cancel
}
