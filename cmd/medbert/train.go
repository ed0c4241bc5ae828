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
	"strings"
	"syscall"
	"time"

	"github.com/medbert/medbert/bert"
	"github.com/medbert/medbert/card"
	"github.com/medbert/medbert/data"
	"github.com/medbert/medbert/deid"
	"github.com/medbert/medbert/pipeline"
	"github.com/medbert/medbert/pretrained"
	"github.com/medbert/medbert/task/qa"
	"github.com/medbert/medbert/task/seqcls"
	"github.com/medbert/medbert/task/tokencls"
	"github.com/medbert/medbert/tokenize"
	"github.com/medbert/medbert/train"
)

func init() {
	register(&command{
		name:    "train",
		summary: "fine-tune a BERT model for text classification (HF Trainer flags)",
		run:     runTrain,
	})
}

// trainCmd holds the train command's flags.
type trainCmd struct {
	a                                                             train.Args
	cw                                                            classWeightsFlag
	df                                                            dataFlags
	modelDir, configPath, vocabPath, trainFile, valFile, testFile string
	overwrite, lower, noLower                                     bool
	deid, deidYears, labelAll                                     bool
	taskKind                                                      string
}

// splits are the data files of a training run; val and test may be empty.
type splits struct{ train, val, test []data.Example }

func runTrain(args []string, stdout, stderr io.Writer) error {
	c := &trainCmd{a: train.Defaults()}
	c.a.OutputDir = ""
	if err := parseFlagsOnly(c.flags(stderr), args); err != nil {
		return err
	}
	dir, cleanup, err := builtinModel(c.modelDir)
	if err != nil {
		return err
	}
	defer cleanup()
	c.modelDir = dir
	if err := c.check(stderr); err != nil {
		return err
	}
	switch c.taskKind {
	case taskNER:
		return c.trainNER(stdout, stderr)
	case taskQA:
		return c.trainQA(stdout, stderr)
	}
	sp, err := c.read(stderr)
	if err != nil {
		return err
	}
	p, err := c.model(sp.train, stderr)
	if err != nil {
		return err
	}
	task, err := c.task(p, sp, stderr)
	if err != nil {
		return err
	}
	ctx, stop := interruptContext(stderr)
	defer stop()
	fmt.Fprintf(stderr, "model: %d layers, hidden %d, %d parameters; labels %v\n", p.Model.Config.NumHiddenLayers,
		p.Model.Config.HiddenSize, p.Model.NumParams(), p.Labels.Names())
	tr := &train.Trainer{Args: &c.a, Task: task, Log: stderr}
	res, err := tr.Train(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "trained %d steps in %s (%.1f sequences/s), train loss %.4f\n", res.GlobalStep,
		res.Runtime.Round(time.Second), res.SamplesPerSecond, res.TrainLoss)
	if res.BestModelCheckpoint != "" {
		fmt.Fprintf(stdout, "best checkpoint: %s (%s = %.4f)\n", res.BestModelCheckpoint, c.a.BestMetricKey(), *res.BestMetric)
	}
	if err := c.report(ctx, stdout, p, task.Eval, sp.test); err != nil {
		return err
	}
	c.writeCard(ctx, p, sp, stderr)
	fmt.Fprintf(stdout, "model saved in %s\nnext: medbert predict --model %s \"some text\"\n", c.a.OutputDir, c.a.OutputDir)
	return nil
}

func (c *trainCmd) flags(stderr io.Writer) *flag.FlagSet {
	fs := newFlags("train", "train (--model DIR | --config CONFIG.json --vocab vocab.txt) --train-file FILE [--validation-file FILE] [--test-file FILE] [flags]", stderr)
	bindTrainingArgs(fs, &c.a, &c.cw)
	c.df.bind(fs)
	fs.BoolVar(&c.lower, "lower", false, "lower-case and strip accents (override the tokenizer casing of --model or --vocab)")
	fs.BoolVar(&c.noLower, "no-lower", false, "keep case (override the tokenizer casing of --model or --vocab)")
	fs.StringVar(&c.modelDir, "model", "", "model folder to fine-tune (config.json, weights, vocab.txt), or "+pretrained.Name+" for the embedded pre-trained model")
	fs.StringVar(&c.modelDir, "model-name-or-path", "", "alias of --model")
	fs.StringVar(&c.configPath, "config", "", "config.json for a model trained from scratch (with --vocab)")
	fs.StringVar(&c.vocabPath, "vocab", "", "vocab.txt for a model trained from scratch")
	fs.StringVar(&c.trainFile, "train-file", "", "training data (.jsonl, .csv, .tsv, PubMedQA .json)")
	fs.StringVar(&c.valFile, "validation-file", "", "validation data, used by --eval-strategy and the best model")
	fs.StringVar(&c.testFile, "test-file", "", "test data, evaluated once at the end")
	fs.BoolVar(&c.overwrite, "overwrite-output-dir", false, "train even if --output-dir already holds checkpoints")
	fs.StringVar(&c.taskKind, "task", taskClassification, "classification (a label per text or pair), ner (CoNLL token<TAB>tag files) or qa (SQuAD v1.1/v2.0 JSON)")
	fs.BoolVar(&c.labelAll, "label-all-tokens", false, "--task ner: train every word piece on its word's tag, not only the first")
	fs.BoolVar(&c.deid, "deid", false, "de-identify the text fields (names, dates, ages over 89, contacts, ids, places: typed placeholders) before tokenizing; recorded in the model card")
	fs.BoolVar(&c.deidYears, "deid-redact-years", false, "with --deid, also replace bare years")
	return fs
}

// check validates every flag, then every path and output-folder rule,
// before any data is read or model loaded; it reports on log what it
// cleaned up in --output-dir and which checkpoints it skipped.
func (c *trainCmd) check(log io.Writer) error {
	if err := checkTask(c.taskKind); err != nil {
		return err
	}
	if c.taskKind != taskClassification && (c.deid || c.testFile != "") {
		return fmt.Errorf("--task %s: --deid and --test-file go with classification (evaluate with medbert eval --task %s)", c.taskKind, c.taskKind)
	}
	if c.deidYears && !c.deid {
		return fmt.Errorf("--deid-redact-years goes with --deid")
	}
	a := &c.a
	switch {
	case c.trainFile == "":
		return errors.New("--train-file is required")
	case a.OutputDir == "":
		return errors.New("--output-dir is required")
	case (c.modelDir == "") == (c.configPath == ""):
		return errors.New("give either --model DIR or --config CONFIG.json --vocab vocab.txt")
	case c.configPath != "" && c.vocabPath == "":
		return errors.New("--config needs --vocab")
	case c.modelDir != "" && c.vocabPath != "":
		return errors.New("--vocab goes with --config; with --model the folder's vocab.txt or tokenizer.json is used")
	case c.lower && c.noLower:
		return errors.New("--lower and --no-lower contradict each other")
	case c.valFile == "" && a.EvalStrategy != train.StrategyNo:
		return errors.New("--eval-strategy needs --validation-file")
	}
	// Checked again once the model caps max_seq_length and the labels give
	// the class weights.
	if err := a.Validate(); err != nil {
		return err
	}
	if err := c.checkMetric(); err != nil {
		return err
	}
	if _, err := c.df.options(); err != nil {
		return err
	}
	if err := c.checkPaths(); err != nil {
		return err
	}
	return c.checkResume(log)
}

// checkPaths checks that the model, tokenizer and data paths are what
// their flags want, and that --output-dir is not a file.
func (c *trainCmd) checkPaths() error {
	if c.modelDir != "" {
		if err := checkDir("model", c.modelDir, "a model folder (or use --config and --vocab for a new model)"); err != nil {
			return err
		}
	} else {
		if err := checkFile("config", c.configPath, "a config.json file"); err != nil {
			return err
		}
		if err := checkFile("vocab", c.vocabPath, "a vocab.txt file (one WordPiece token per line)"); err != nil {
			return err
		}
	}
	if st, err := os.Stat(c.a.OutputDir); err == nil && !st.IsDir() {
		return fmt.Errorf("--output-dir %s is a file; --output-dir wants a folder (created if missing) for checkpoints and the model", c.a.OutputDir)
	}
	return c.df.check(map[string]string{"train-file": c.trainFile, "validation-file": c.valFile, "test-file": c.testFile})
}

// checkResume removes what killed saves left in --output-dir, resolves
// --resume-from-checkpoint (last: the newest complete checkpoint; a path:
// it must be complete) and refuses to mix a new run into a folder that
// holds checkpoints.
func (c *trainCmd) checkResume(log io.Writer) error {
	a := &c.a
	if r := a.ResumeFromCheckpoint; r != "" && r != "last" && r != "true" {
		if err := checkDir("resume-from-checkpoint", r, "a checkpoint-N folder written by medbert train (or \"last\")"); err != nil {
			return err
		}
	}
	resume, err := train.ResolveResume(a.OutputDir, a.ResumeFromCheckpoint, c.overwrite, log)
	if err != nil {
		return err
	}
	a.ResumeFromCheckpoint = resume
	return nil
}

func (c *trainCmd) read(stderr io.Writer) (sp splits, err error) {
	if sp.train, err = c.df.read(c.trainFile, stderr); err != nil {
		return sp, err
	}
	if c.valFile != "" {
		if sp.val, err = c.df.read(c.valFile, stderr); err != nil {
			return sp, err
		}
	}
	if c.testFile != "" {
		if sp.test, err = c.df.read(c.testFile, stderr); err != nil {
			return sp, err
		}
	}
	if c.deid {
		r := deid.NewReplacer(deid.New(deid.Options{RedactYears: c.deidYears}), deid.Placeholder, nil)
		n := pipeline.Deidentify(r, sp.train) + pipeline.Deidentify(r, sp.val) + pipeline.Deidentify(r, sp.test)
		fmt.Fprintf(stderr, "de-identified the text fields: %d identifiers replaced by typed placeholders\n", n)
	}
	return sp, nil
}

// model loads the folder to fine-tune or builds a new model from
// --config/--vocab; the labels come from the training data.
func (c *trainCmd) model(trainEx []data.Example, stderr io.Writer) (*pipeline.Pipeline, error) {
	if err := data.CheckClasses(trainEx); err != nil {
		return nil, fmt.Errorf("%s: %w", c.trainFile, err)
	}
	labels, err := data.BuildLabels(trainEx)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.trainFile, err)
	}
	opts := pipeline.Options{Seed: uint64(c.a.Seed)}
	if c.lower || c.noLower {
		opts.Lower = &c.lower
	}
	var p *pipeline.Pipeline
	if c.modelDir != "" {
		var rep *bert.LoadReport
		if p, rep, err = pipeline.ForFineTune(c.modelDir, labels.Names(), opts); err != nil {
			return nil, err
		}
		for _, w := range rep.Warnings(bert.ClassName(bert.HeadSeqCls)) {
			fmt.Fprintln(stderr, w)
		}
	} else {
		cfg, err := bert.LoadConfig(c.configPath)
		if err != nil {
			return nil, err
		}
		v, err := tokenize.LoadVocab(c.vocabPath)
		if err != nil {
			return nil, err
		}
		if p, err = pipeline.NewClassifier(cfg, v, labels.Names(), opts); err != nil {
			return nil, fmt.Errorf("%s, %s: %w", c.configPath, c.vocabPath, err)
		}
	}
	// Casing silently wrong is the classic BioBERT/ClinicalBERT trap: say
	// what was decided and why (the saved tokenizer_config.json then makes
	// it explicit for eval and predict).
	s := p.Tokenizer.Settings()
	fmt.Fprintf(stderr, "tokenizer: %s (%s)\n", casingWord(s.DoLowerCase), s.LowerCaseReason)
	return p, nil
}

// task caps max_seq_length at the model's positions, resolves the class
// weights, prints the data summaries and featurizes the splits.
func (c *trainCmd) task(p *pipeline.Pipeline, sp splits, stderr io.Writer) (*seqcls.Task, error) {
	a := &c.a
	if mp := p.Model.Config.MaxPositionEmbeddings; a.MaxSeqLength > mp {
		// run_glue.py: min(max_seq_length, tokenizer.model_max_length).
		fmt.Fprintf(stderr, "max_seq_length %d is larger than the model's max_position_embeddings; using %d\n", a.MaxSeqLength, mp)
		a.MaxSeqLength = mp
	}
	p.MaxLength = a.MaxSeqLength
	if c.cw.balanced {
		a.ClassWeights = seqcls.BalancedWeights(sp.train, p.Labels)
	} else if c.cw.weights != nil {
		if len(c.cw.weights) != p.Labels.Len() {
			return nil, fmt.Errorf("--class-weights: %d weights for %d labels (%v)", len(c.cw.weights), p.Labels.Len(), p.Labels.Names())
		}
		a.ClassWeights = c.cw.weights
	}
	if err := a.Validate(); err != nil {
		return nil, err
	}
	for _, s := range []struct {
		file string
		exs  []data.Example
	}{{c.trainFile, sp.train}, {c.valFile, sp.val}, {c.testFile, sp.test}} {
		if len(s.exs) > 0 {
			if err := writeSummary(stderr, p.Tokenizer, filepath.Base(s.file), s.exs, a.MaxSeqLength); err != nil {
				return nil, err
			}
		}
	}
	return p.TrainTask(sp.train, sp.val, a.PerDeviceEvalBatchSize, a.ClassWeights)
}

// report evaluates the trained model on the validation features and the
// test examples, printing tables and writing eval/test_results.json.
func (c *trainCmd) report(ctx context.Context, w io.Writer, p *pipeline.Pipeline, val []seqcls.Features, test []data.Example) error {
	if len(val) > 0 {
		if err := reportSplit(ctx, w, "validation", p, val, c.a.PerDeviceEvalBatchSize, filepath.Join(c.a.OutputDir, "eval_results.json")); err != nil {
			return err
		}
	}
	if len(test) == 0 {
		return nil
	}
	tf, err := p.Featurize(test)
	if err != nil {
		return fmt.Errorf("%s: %w", c.testFile, err)
	}
	return reportSplit(ctx, w, "test", p, tf, c.a.PerDeviceEvalBatchSize, filepath.Join(c.a.OutputDir, "test_results.json"))
}

// reportSplit evaluates features, prints the metrics table and writes the
// report JSON next to the model.
func reportSplit(ctx context.Context, w io.Writer, name string, p *pipeline.Pipeline, fs []seqcls.Features, batch int, jsonPath string) error {
	r, err := seqcls.Evaluate(ctx, p.Model, fs, p.Labels.Names(), p.Tokenizer.PadID(), batch, nil)
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

// writeCard records the training data summary in the output folder and
// writes its model card, evaluated on the validation split when there is
// one. A failure here costs the card, never the trained model: it is
// reported and training still succeeds.
func (c *trainCmd) writeCard(ctx context.Context, p *pipeline.Pipeline, sp splits, log io.Writer) {
	out := c.a.OutputDir
	ds := pipeline.DataSummary{Summary: pipeline.Summarize(p.Tokenizer, sp.train, c.a.MaxSeqLength), Deidentified: &c.deid}
	err := pipeline.SaveDataSummary(out, ds)
	var in card.Input
	if err == nil {
		in, err = p.CardInput(out)
	}
	if err == nil && len(sp.val) > 0 {
		in.Eval, err = p.CardEval(ctx, "validation split "+filepath.Base(c.valFile), sp.val, nil, uint64(c.a.Seed))
	}
	var cd *card.Card
	if err == nil {
		cd, err = card.Build(in)
	}
	if err == nil {
		err = cd.Write(filepath.Join(out, pipeline.CardFile))
	}
	if err != nil {
		fmt.Fprintf(log, "warning: no model card written: %v\n", err)
		return
	}
	fmt.Fprintf(log, "model card: %s\n", filepath.Join(out, pipeline.CardFile))
}

// checkMetric checks --metric-for-best-model against the names the
// chosen task's evaluation reports.
func (c *trainCmd) checkMetric() error {
	switch c.taskKind {
	case taskNER:
		if tokencls.IsPerTypeMetric(strings.TrimPrefix(c.a.MetricForBestModel, "eval_")) {
			return nil // a per-type name; its type is known once the data is read
		}
		return c.a.CheckMetric(tokencls.MetricNames)
	case taskQA:
		return c.a.CheckMetric(qa.MetricNames)
	}
	return c.a.CheckMetric(seqcls.MetricNames)
}
