package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"

	"github.com/medbert/medbert/bert"
	"github.com/medbert/medbert/pipeline"
)

func init() {
	register(&command{
		name:    "predict",
		summary: "classify texts (arguments, or stdin lines) with a fine-tuned model, one JSON object per input",
		run:     func(args []string, stdout, stderr io.Writer) error { return runPredict(args, os.Stdin, stdout, stderr) },
	})
}

// loadClassifier checks --model and loads it as a sequence-classification
// pipeline.
func loadClassifier(flagName, dir string, opts pipeline.Options) (*pipeline.Pipeline, error) {
	if dir == "" {
		return nil, fmt.Errorf("--%s is required", flagName)
	}
	if err := checkDir(flagName, dir, "a model folder (config.json, weights, vocab.txt) from medbert train"); err != nil {
		return nil, err
	}
	// The length limit needs only the config: check it before the weights.
	cfg, err := bert.LoadConfig(filepath.Join(dir, bert.FileConfig))
	if err != nil {
		return nil, err
	}
	if _, err := pipeline.MaxLength(cfg, opts.MaxLength); err != nil {
		return nil, fmt.Errorf("--max-seq-length: %w", err)
	}
	p, err := pipeline.Load(dir, opts)
	if err != nil {
		return nil, err
	}
	if p.Task != pipeline.TaskClassification {
		return nil, fmt.Errorf("%s is a %s model (config.json architectures %v), not a text classifier; fine-tune it with medbert train first",
			dir, p.Task, p.Model.Config.Architectures)
	}
	return p, nil
}

// prediction is one output line of medbert predict.
type prediction struct {
	Label  string             `json:"label"`
	Score  float64            `json:"score"`
	Scores map[string]float64 `json:"scores"`
	Logits []float32          `json:"logits"`
}

func runPredict(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("predict", "predict --model DIR [--max-seq-length N] [--batch-size N] [--] [TEXT...]   (stdin lines when no TEXT)", stderr)
	var modelDir string
	var maxLen, batch int
	fs.StringVar(&modelDir, "model", "", "fine-tuned model folder")
	fs.IntVar(&maxLen, "max-seq-length", 0, "truncate inputs to N tokens (default: max_position_embeddings, at most 512)")
	fs.IntVar(&batch, "batch-size", 8, "inputs per forward pass")
	fs.IntVar(&batch, "per-device-eval-batch-size", 8, "alias of --batch-size")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if batch < 1 {
		return fmt.Errorf("--batch-size must be >= 1, got %d", batch)
	}
	if maxLen != 0 && maxLen < 2 {
		return fmt.Errorf("--max-seq-length %d must be >= 2", maxLen)
	}
	p, err := loadClassifier("model", modelDir, pipeline.Options{MaxLength: maxLen, BatchSize: batch})
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	w := bufio.NewWriter(stdout)
	defer w.Flush()
	emit := func(texts []string) error {
		if err := writePredictions(ctx, json.NewEncoder(w), p, texts); err != nil {
			return err
		}
		return w.Flush()
	}
	if fs.NArg() > 0 {
		return emit(fs.Args())
	}
	return streamLines(stdin, batch, emit)
}

// writePredictions classifies texts and writes one JSON object each.
func writePredictions(ctx context.Context, enc *json.Encoder, p *pipeline.Pipeline, texts []string) error {
	in := make([]pipeline.Input, len(texts))
	for i, t := range texts {
		in[i] = pipeline.Input{Text: t}
	}
	out, err := p.Classify(ctx, in)
	if err != nil {
		return err
	}
	for _, c := range out {
		pr := prediction{Label: c.Label, Score: c.Score, Scores: map[string]float64{}, Logits: c.Logits}
		for i, v := range c.Scores {
			pr.Scores[c.Labels[i]] = v
		}
		if err := enc.Encode(pr); err != nil {
			return err
		}
	}
	return nil
}

// streamLines hands the lines of r to emit in groups of batch, so output
// starts before input ends. An empty line is an error naming it.
func streamLines(r io.Reader, batch int, emit func([]string) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<16), 1<<24)
	var pending []string
	line := 0
	for sc.Scan() {
		line++
		t := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(t) == "" {
			return fmt.Errorf("stdin:%d: empty line (one text per line)", line)
		}
		pending = append(pending, t)
		if len(pending) == batch {
			if err := emit(pending); err != nil {
				return err
			}
			pending = pending[:0]
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("stdin:%d: %w", line+1, err)
	}
	if len(pending) > 0 {
		return emit(pending)
	}
	return nil
}
