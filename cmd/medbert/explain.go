package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/medbert/medbert/explain"
	"github.com/medbert/medbert/internal/atomicfile"
	"github.com/medbert/medbert/internal/term"
	"github.com/medbert/medbert/pipeline"
)

func init() {
	register(&command{
		name:    "explain",
		summary: "show which words drove a classifier's prediction (integrated gradients, gradient × input, attention rollout)",
		run:     runExplain,
	})
}

type explainFlags struct {
	model, target, method, baseline, html string
	steps, maxLen, stepBatch              int
	asJSON                                bool
}

func runExplain(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("explain", "explain --model DIR [--method ig|gxi|rollout] [--target LABEL] [--steps 32] [--baseline pad|mask] [--json] [--html OUT] TEXT", stderr)
	var f explainFlags
	fs.StringVar(&f.model, "model", "", "fine-tuned classifier folder (float32: an int8 folder cannot be differentiated)")
	fs.StringVar(&f.method, "method", explain.IntegratedGradients, "ig (integrated gradients; scores sum to logit − baseline logit), gxi (gradient × input) or rollout (attention rollout)")
	fs.StringVar(&f.target, "target", "", "label to explain (default: the predicted one)")
	fs.IntVar(&f.steps, "steps", 32, "integrated-gradients steps (more: closer to exact completeness, slower)")
	fs.StringVar(&f.baseline, "baseline", explain.BaselinePad, "integrated-gradients baseline: every word replaced by the [PAD] or the [MASK] embedding")
	fs.IntVar(&f.stepBatch, "step-batch", 8, "integrated-gradients steps per forward pass (memory against speed)")
	fs.IntVar(&f.maxLen, "max-seq-length", 0, "truncate the text to N tokens (default: max_position_embeddings, at most 512)")
	fs.BoolVar(&f.asJSON, "json", false, `print one JSON object: {"label", "method", "logit", "baseline_logit", "words": [{"word", "start", "end", "score"}]} (offsets in code points)`)
	fs.StringVar(&f.html, "html", "", "also write a self-contained HTML page highlighting the words to this file")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	text := strings.Join(fs.Args(), " ")
	if err := f.check(text); err != nil {
		return err
	}
	p, err := loadClassifier("model", f.model, pipeline.Options{MaxLength: f.maxLen})
	if err != nil {
		return err
	}
	opt := explain.Options{Method: f.method, Steps: f.steps, Baseline: f.baseline, MaxLength: p.MaxLength, StepBatch: f.stepBatch}
	if f.target != "" {
		id, ok := p.Labels.ID(f.target)
		if !ok {
			return fmt.Errorf("--target %q is not one of the model's labels %v", f.target, p.Labels.Names())
		}
		opt.Target = &id
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	start := time.Now()
	e, err := explain.Explain(ctx, p.Model, p.Tokenizer, text, opt)
	if err != nil {
		return err
	}
	if !f.asJSON {
		fmt.Fprintf(stderr, "explained in %.2f s\n", time.Since(start).Seconds())
	}
	return f.write(e, text, stdout)
}

// check validates the flags before any model is loaded.
func (f *explainFlags) check(text string) error {
	switch f.method {
	case explain.IntegratedGradients, explain.GradientInput, explain.Rollout:
	default:
		return fmt.Errorf("--method %q: want ig, gxi or rollout", f.method)
	}
	if f.baseline != explain.BaselinePad && f.baseline != explain.BaselineMask {
		return fmt.Errorf("--baseline %q: want pad or mask", f.baseline)
	}
	if f.steps < 1 || f.steps > 4096 {
		return fmt.Errorf("--steps %d must be in [1, 4096]", f.steps)
	}
	if f.stepBatch < 1 {
		return fmt.Errorf("--step-batch %d must be >= 1", f.stepBatch)
	}
	if f.html != "" {
		if err := checkNewFile("html", f.html); err != nil {
			return err
		}
	}
	if strings.TrimSpace(text) == "" {
		return fmt.Errorf("give the text to explain as arguments (after --model DIR)")
	}
	return nil
}

func (f *explainFlags) write(e *explain.Explanation, text string, stdout io.Writer) error {
	if f.html != "" {
		var b strings.Builder
		if err := e.WriteHTML(&b, text); err != nil {
			return err
		}
		if err := atomicfile.WriteBytes(f.html, []byte(b.String())); err != nil {
			return err
		}
	}
	if f.asJSON {
		return json.NewEncoder(stdout).Encode(e)
	}
	color := false
	if fh, ok := stdout.(*os.File); ok {
		color = term.IsTerminal(fh)
	}
	return e.WriteText(stdout, text, color)
}
