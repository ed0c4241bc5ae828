package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/medbert/medbert/bert"
	"github.com/medbert/medbert/data"
	"github.com/medbert/medbert/internal/atomicfile"
	"github.com/medbert/medbert/pipeline"
	"github.com/medbert/medbert/task/qa"
	"github.com/medbert/medbert/task/tokencls"
)

// folderTask is the task kind a model folder was trained for: its
// config.json's medbert_task, else what its head implies.
func folderTask(dir string) (string, error) {
	if err := checkDir("model", dir, "a model folder from medbert train"); err != nil {
		return "", err
	}
	cfg, err := bert.LoadConfig(filepath.Join(dir, bert.FileConfig))
	if err != nil {
		return "", err
	}
	if raw, ok := cfg.Extra[pipeline.TaskKey]; ok {
		var t string
		if json.Unmarshal(raw, &t) == nil && t != "" {
			return t, nil
		}
	}
	switch bert.DefaultHead(cfg) {
	case bert.HeadTokenCls:
		return taskNER, nil
	case bert.HeadQA:
		return taskQA, nil
	}
	return taskClassification, nil
}

// resolveTask checks --task against the model folder (an empty --task
// takes the folder's).
func resolveTask(flagTask, dir string) (string, error) {
	if flagTask != "" {
		if err := checkTask(flagTask); err != nil {
			return "", err
		}
	}
	have, err := folderTask(dir)
	if err != nil {
		return "", err
	}
	if flagTask != "" && flagTask != have {
		return "", fmt.Errorf("--task %s, but %s is a %s model", flagTask, dir, have)
	}
	return have, nil
}

// loadTaskModel loads a NER or QA folder for inference.
func loadTaskModel(dir string, maxLen, batch int) (*pipeline.Pipeline, error) {
	return pipeline.Load(dir, pipeline.Options{MaxLength: maxLen, BatchSize: batch})
}

// evalNER evaluates a token-classification model on a CoNLL file:
// entity-level P/R/F1 per type (seqeval), token accuracy, loss.
func (c *evalCmd) evalNER(ctx context.Context, stdout, stderr io.Writer) error {
	p, err := loadTaskModel(c.modelDir, c.maxLen, c.batch)
	if err != nil {
		return err
	}
	opt, err := c.df.options()
	if err != nil {
		return err
	}
	sents, sk, err := data.ReadSentences(c.dataFile, opt)
	c.df.report(stderr, filepath.Base(c.dataFile), sk)
	if err != nil {
		return err
	}
	r, err := tokencls.Evaluate(ctx, p.Model, p.Tokenizer, sents, tokencls.Options{MaxLength: p.MaxLength, BatchSize: c.batch})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d sentences, %d words; token accuracy %.4f, loss %.4f\n", r.Sentences, r.Words, r.Accuracy, r.Loss)
	if err := r.Entities.WriteText(stdout); err != nil {
		return err
	}
	return c.writeJSON(map[string]any{"task": taskNER, "metrics": r.Metrics(), "entities": r.Entities})
}

// evalQA evaluates an extractive-QA model on SQuAD JSON: exact match and
// F1 with SQuAD's normalisation (HasAns/NoAns for v2.0).
func (c *evalCmd) evalQA(ctx context.Context, stdout io.Writer) error {
	p, err := loadTaskModel(c.modelDir, c.maxLen, c.batch)
	if err != nil {
		return err
	}
	exs, err := qa.ReadSQuAD(c.dataFile)
	if err != nil {
		return err
	}
	opt := qa.Options{MaxLength: p.MaxLength, BatchSize: c.batch, AllowImpossible: qa.AnyImpossible(exs)}
	opt.Stride = min(128, opt.MaxLength/4)
	r, err := qa.Evaluate(ctx, p.Model, p.Tokenizer, exs, opt)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d questions: exact match %.4f, F1 %.4f, loss %.4f\n", r.All.Count, r.All.ExactMatch, r.All.F1, r.Loss)
	if r.NoAns.Count > 0 {
		fmt.Fprintf(stdout, "answerable %d: EM %.4f F1 %.4f; unanswerable %d: EM %.4f F1 %.4f\n",
			r.HasAns.Count, r.HasAns.ExactMatch, r.HasAns.F1, r.NoAns.Count, r.NoAns.ExactMatch, r.NoAns.F1)
	}
	return c.writeJSON(map[string]any{"task": taskQA, "metrics": r.Metrics(), "all": r.All, "has_ans": r.HasAns, "no_ans": r.NoAns})
}

func (c *evalCmd) writeJSON(v any) error {
	if c.jsonOut == "" {
		return nil
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteBytes(c.jsonOut, append(b, '\n'))
}

// predictNER prints {"entities": [{"type", "start", "end", "text",
// "score"}]} for each text (arguments, else stdin lines), offsets in code
// points of that text.
func (c *predictCmd) predictNER(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	agg, err := tokencls.ParseAggregation(c.aggregation)
	if err != nil {
		return fmt.Errorf("--aggregation: %w", err)
	}
	p, err := loadTaskModel(c.modelDir, c.maxLen, c.batch)
	if err != nil {
		return err
	}
	pr := &tokencls.Predictor{Model: p.Model, Tokenizer: p.Tokenizer, Aggregation: agg,
		Options: tokencls.Options{MaxLength: p.MaxLength, BatchSize: c.batch}}
	w := bufio.NewWriter(stdout)
	defer w.Flush()
	enc := json.NewEncoder(w)
	tag := func(texts []string) error {
		ents, err := pr.PredictBatch(ctx, texts)
		if err != nil {
			return err
		}
		for _, e := range ents {
			if e == nil {
				e = []tokencls.Entity{}
			}
			if err := enc.Encode(map[string]any{"entities": e}); err != nil {
				return err
			}
		}
		return w.Flush()
	}
	if len(args) > 0 {
		return tag(args)
	}
	var pending []string
	_, err = data.ScanTexts(stdin, "stdin", data.Options{}, func(e data.Example) error {
		if pending = append(pending, e.Text); len(pending) == c.batch {
			err := tag(pending)
			pending = pending[:0]
			return err
		}
		return nil
	})
	if err == nil && len(pending) > 0 {
		err = tag(pending)
	}
	return err
}

// predictQA prints {"answer", "start", "end", "score"} for --question
// over --context (offsets in code points of the context).
func (c *predictCmd) predictQA(ctx context.Context, stdout io.Writer) error {
	if strings.TrimSpace(c.question) == "" || strings.TrimSpace(c.context) == "" {
		return errors.New("--task qa needs --question Q and --context C")
	}
	p, err := loadTaskModel(c.modelDir, c.maxLen, c.batch)
	if err != nil {
		return err
	}
	opt := qa.Options{MaxLength: p.MaxLength, BatchSize: c.batch}
	opt.Stride = min(128, opt.MaxLength/4)
	pr := &qa.Predictor{Model: p.Model, Tokenizer: p.Tokenizer, Options: opt}
	a, err := pr.Answer(ctx, c.question, c.context)
	if err != nil {
		return err
	}
	return json.NewEncoder(stdout).Encode(a)
}
