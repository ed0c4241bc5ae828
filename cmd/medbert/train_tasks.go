package main

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/medbert/medbert/bert"
	"github.com/medbert/medbert/data"
	"github.com/medbert/medbert/internal/atomicfile"
	"github.com/medbert/medbert/pipeline"
	"github.com/medbert/medbert/task/qa"
	"github.com/medbert/medbert/task/tokencls"
	"github.com/medbert/medbert/tokenize"
	"github.com/medbert/medbert/train"
)

// The task kinds train, eval and predict take with --task.
const (
	taskClassification = "classification"
	taskNER            = "ner"
	taskQA             = "qa"
)

func checkTask(t string) error {
	switch t {
	case taskClassification, taskNER, taskQA:
		return nil
	}
	return fmt.Errorf("--task %q: want classification, ner or qa", t)
}

// tokenizerFor loads the tokenizer of --model, or builds one from --vocab
// for a model from scratch.
func (c *trainCmd) tokenizerFor(cfg *bert.Config) (*tokenize.Tokenizer, error) {
	var lower *bool
	if c.lower || c.noLower {
		lower = &c.lower
	}
	if c.modelDir != "" {
		return pipeline.LoadTokenizer(c.modelDir, cfg, lower)
	}
	v, err := tokenize.LoadVocab(c.vocabPath)
	if err != nil {
		return nil, err
	}
	s := tokenize.VocabSettings(v, lower)
	s.ModelMaxLength = cfg.MaxPositionEmbeddings
	return tokenize.New(v, s)
}

// config is the model's config.json: --model's or --config.
func (c *trainCmd) config() (*bert.Config, error) {
	if c.modelDir != "" {
		return bert.LoadConfig(filepath.Join(c.modelDir, bert.FileConfig))
	}
	return bert.LoadConfig(c.configPath)
}

// trainNER is train --task ner: CoNLL files (token<TAB>tag, a blank line
// between sentences), tags from the training file, entity-level metrics.
func (c *trainCmd) trainNER(stdout, stderr io.Writer) error {
	opt, err := c.df.options()
	if err != nil {
		return err
	}
	read := func(path string) ([]data.Sentence, error) {
		if path == "" {
			return nil, nil
		}
		s, sk, err := data.ReadSentences(path, opt)
		c.df.report(stderr, filepath.Base(path), sk)
		return s, err
	}
	trainS, err := read(c.trainFile)
	if err != nil {
		return err
	}
	valS, err := read(c.valFile)
	if err != nil {
		return err
	}
	labels, err := tokencls.TagLabels(trainS)
	if err != nil {
		return fmt.Errorf("%s: %w", c.trainFile, err)
	}
	cfg, err := c.config()
	if err != nil {
		return err
	}
	var m *bert.Model
	if c.modelDir != "" {
		var rep *bert.LoadReport
		if m, rep, err = tokencls.LoadModel(c.modelDir, labels, uint64(c.a.Seed)); err == nil {
			for _, w := range rep.Warnings(bert.ClassName(bert.HeadTokenCls)) {
				fmt.Fprintln(stderr, w)
			}
		}
	} else {
		m, err = tokencls.NewModel(cfg, labels, uint64(c.a.Seed))
	}
	if err != nil {
		return err
	}
	tok, err := c.tokenizerFor(m.Config)
	if err != nil {
		return err
	}
	task, err := tokencls.NewTask(m, tok, trainS, valS, tokencls.Options{MaxLength: min(c.a.MaxSeqLength, m.Config.MaxPositionEmbeddings), LabelAllTokens: c.labelAll})
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "ner: %d training sentences (%d windows), tags %v\n", len(trainS), task.NumTrain(), labels)
	return c.runTaskTrainer(task, stdout, stderr)
}

// trainQA is train --task qa: SQuAD v1.1/v2.0 JSON, exact match and F1.
func (c *trainCmd) trainQA(stdout, stderr io.Writer) error {
	trainEx, err := qa.ReadSQuAD(c.trainFile)
	if err != nil {
		return err
	}
	var valEx []qa.Example
	if c.valFile != "" {
		if valEx, err = qa.ReadSQuAD(c.valFile); err != nil {
			return err
		}
	}
	cfg, err := c.config()
	if err != nil {
		return err
	}
	var m *bert.Model
	if c.modelDir != "" {
		m, _, err = qa.LoadModel(c.modelDir, uint64(c.a.Seed))
	} else {
		m, err = qa.NewModel(cfg, uint64(c.a.Seed))
	}
	if err != nil {
		return err
	}
	tok, err := c.tokenizerFor(m.Config)
	if err != nil {
		return err
	}
	opt := qa.Options{MaxLength: min(c.a.MaxSeqLength, m.Config.MaxPositionEmbeddings), AllowImpossible: qa.AnyImpossible(trainEx)}
	opt.Stride = min(128, opt.MaxLength/4)
	task, err := qa.NewTask(m, tok, trainEx, valEx, opt)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "qa: %d training questions (%d windows)\n", len(trainEx), task.NumTrain())
	return c.runTaskTrainer(task, stdout, stderr)
}

// runTaskTrainer trains task with the run's arguments and reports.
func (c *trainCmd) runTaskTrainer(task train.Task, stdout, stderr io.Writer) error {
	ctx, stop := interruptContext(stderr)
	defer stop()
	res, err := (&train.Trainer{Args: &c.a, Task: task, Log: stderr}).Train(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "trained %d steps in %s (%.1f sequences/s), train loss %.4f\n", res.GlobalStep,
		res.Runtime.Round(time.Second), res.SamplesPerSecond, res.TrainLoss)
	if len(res.FinalEval) > 0 {
		b, _ := json.MarshalIndent(res.FinalEval, "", "  ")
		fmt.Fprintf(stdout, "validation: %s\n", b)
		if err := atomicfile.WriteBytes(filepath.Join(c.a.OutputDir, "eval_results.json"), append(b, '\n')); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "model saved in %s\nnext: medbert predict --task %s --model %s ...\n", c.a.OutputDir, c.taskKind, c.a.OutputDir)
	return nil
}
