package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"

	"github.com/medbert/medbert/bert"
	"github.com/medbert/medbert/train"
)

func init() {
	register(&command{
		name:    "predict",
		summary: "classify texts (arguments, or stdin lines) with a fine-tuned model, one JSON object per input",
		run:     func(args []string, stdout, stderr io.Writer) error { return runPredict(args, os.Stdin, stdout, stderr) },
	})
}

// loadClassifier loads a model folder as a sequence classifier with its
// tokenizer.
func loadClassifier(dir string, seed uint64) (*modelSetup, error) {
	if dir == "" {
		return nil, errors.New("--model is required")
	}
	m, _, err := bert.Load(dir, bert.LoadOptions{Head: bert.HeadSeqCls, Seed: seed})
	if err != nil {
		return nil, err
	}
	if bert.DefaultHead(m.Config) != bert.HeadSeqCls {
		return nil, fmt.Errorf("%s is not a sequence-classification model (config.json architectures %v); fine-tune it with medbert train first",
			filepath.Base(dir), m.Config.Architectures)
	}
	tok, err := loadTokenizerDir(dir, m.Config)
	if err != nil {
		return nil, err
	}
	ms := &modelSetup{model: m, tok: newTokenizerSetup(tok)}
	ms.setLabelIDs()
	return ms, nil
}

// maxSeqLength resolves --max-seq-length for inference: 0 means the
// model's max_position_embeddings capped at 512 (BERT's usual limit).
func (ms *modelSetup) maxSeqLength(requested int) (int, error) {
	maxPos := ms.model.Config.MaxPositionEmbeddings
	if requested == 0 {
		return min(maxPos, 512), nil
	}
	if requested < 2 || requested > maxPos {
		return 0, fmt.Errorf("--max-seq-length %d must be in [2, %d] (max_position_embeddings)", requested, maxPos)
	}
	return requested, nil
}

// prediction is one output line of medbert predict.
type prediction struct {
	Label  string             `json:"label"`
	Score  float64            `json:"score"`
	Scores map[string]float64 `json:"scores"`
	Logits []float32          `json:"logits"`
}

func runPredict(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("predict", "predict --model DIR [--max-seq-length N] [--batch-size N] [TEXT...]   (stdin lines when no TEXT)", stderr)
	var modelDir string
	var maxLen, batch int
	fs.StringVar(&modelDir, "model", "", "fine-tuned model folder")
	fs.IntVar(&maxLen, "max-seq-length", 0, "truncate inputs to N tokens (default: max_position_embeddings, at most 512)")
	fs.IntVar(&batch, "batch-size", 8, "inputs per forward pass")
	fs.IntVar(&batch, "per-device-eval-batch-size", 8, "alias of --batch-size")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ms, err := loadClassifier(modelDir, 42)
	if err != nil {
		return err
	}
	if maxLen, err = ms.maxSeqLength(maxLen); err != nil {
		return err
	}
	if batch < 1 {
		return fmt.Errorf("--batch-size must be >= 1, got %d", batch)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	w := bufio.NewWriter(stdout)
	defer w.Flush()
	enc := json.NewEncoder(w)
	emit := func(texts []string) error {
		exs := make([]train.Example, len(texts))
		for i, t := range texts {
			exs[i] = train.Example{Text: t}
		}
		feats, err := train.Featurize(ms.tok.encode, exs, maxLen)
		if err != nil {
			return err
		}
		lg, err := train.Logits(ctx, ms.model, feats, ms.tok.padID, batch)
		if err != nil {
			return err
		}
		labels := ms.model.Config.Labels()
		for _, l := range lg {
			p := train.Softmax(l)
			best := 0
			for c := range p {
				if p[c] > p[best] {
					best = c
				}
			}
			pr := prediction{Label: labels[best], Score: p[best], Scores: map[string]float64{}, Logits: l}
			for c, v := range p {
				pr.Scores[labels[c]] = v
			}
			if err := enc.Encode(pr); err != nil {
				return err
			}
		}
		return w.Flush()
	}
	if fs.NArg() > 0 {
		return emit(fs.Args())
	}
	// Stream stdin in batches so output starts before input ends.
	sc := bufio.NewScanner(stdin)
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
