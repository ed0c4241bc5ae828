package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"github.com/medbert/medbert/internal/atomicfile"
	"github.com/medbert/medbert/shard"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"

	"github.com/medbert/medbert/bert"
	"github.com/medbert/medbert/data"
	"github.com/medbert/medbert/pipeline"
)

func init() {
	register(&command{
		name: "predict",
		summary: "classify texts (arguments, stdin lines or JSON lines, or a JSONL/CSV/TSV file) with a fine-tuned model, " +
			"one JSON object per input",
		run: func(args []string, stdout, stderr io.Writer) error { return runPredict(args, os.Stdin, stdout, stderr) },
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

// prediction is the prediction part of one output line of medbert
// predict; the input's pass-through fields come before it.
type prediction struct {
	Label     string             `json:"label"`
	Score     float64            `json:"score"`
	Scores    map[string]float64 `json:"scores"`
	Logits    []float32          `json:"logits"`
	TopK      []pipeline.Score   `json:"top_k,omitempty"`
	Threshold *thresholdOut      `json:"threshold,omitempty"`
	Windows   int                `json:"windows,omitempty"`
	Truncated bool               `json:"truncated,omitempty"`
}

// thresholdOut is the operating point that decided a binary label.
type thresholdOut struct {
	Label string  `json:"label"`
	Value float64 `json:"value"`
}

// predictCmd holds the predict command's flags.
type predictCmd struct {
	modelDir, inFile, threshold, longText, outFile string
	maxLen, batch, topK, stride                    int
	shardIndex, shardCount                         int
	taskKind, question, context, aggregation       string
	df                                             dataFlags
}

func (c *predictCmd) flags(stderr io.Writer) *flag.FlagSet {
	fs := newFlags("predict", "predict --model DIR [--in FILE] [--top-k K] [--threshold P|LABEL:P|none] [--long-text truncate|windows] [flags] [--] [TEXT...]\n"+
		"  inputs: TEXT arguments; else --in FILE (.jsonl, .csv, .tsv, .json); else stdin, one text per line or a JSON object\n"+
		"  per line ({\"text\": ..., \"text_pair\": ..., \"id\": ...}); a file's or JSON line's other fields come back with its prediction", stderr)
	fs.StringVar(&c.modelDir, "model", "", "fine-tuned model folder")
	fs.StringVar(&c.inFile, "in", "", "read inputs from this file (format by extension or --format), in order")
	fs.IntVar(&c.maxLen, "max-seq-length", 0, "truncate inputs to N tokens (default: max_position_embeddings, at most 512)")
	fs.IntVar(&c.batch, "batch-size", 8, "inputs per forward pass")
	fs.IntVar(&c.batch, "per-device-eval-batch-size", 8, "alias of --batch-size")
	fs.IntVar(&c.topK, "top-k", 0, "also list the K most probable labels with their probabilities")
	fs.StringVar(&c.threshold, "threshold", "", "binary models: predict the positive label when its probability >= P; LABEL:P names the label; "+
		"none ignores the model folder's "+pipeline.ThresholdFile+" (default: that file's threshold, else argmax)")
	fs.StringVar(&c.longText, "long-text", "truncate", "inputs longer than --max-seq-length: truncate (keep the first tokens) or windows "+
		"(read the whole text in overlapping windows and average their probabilities)")
	fs.IntVar(&c.stride, "stride", 0, "--long-text windows: tokens shared by neighbouring windows (default max length / 4)")
	fs.StringVar(&c.taskKind, "task", "", "classification, ner or qa (default: what the model folder was trained for)")
	fs.StringVar(&c.question, "question", "", "--task qa: the question")
	fs.StringVar(&c.context, "context", "", "--task qa: the text to find the answer in")
	fs.StringVar(&c.aggregation, "aggregation", "first", "--task ner: how word pieces make a word's tag: none (per piece), first, average or max")
	fs.StringVar(&c.outFile, "out", "", "write the predictions to this file (atomically) instead of stdout")
	fs.IntVar(&c.shardIndex, "shard-index", 0, "with --in and --out: predict only shard I of --shard-count (whole batches; merge with medbert merge-shards)")
	fs.IntVar(&c.shardCount, "shard-count", 1, "number of shards the --in file is split into (e.g. a Kubernetes Indexed Job's completions)")
	c.df.bindInput(fs)
	fs.Lookup("format").Usage = "--in: jsonl, csv, tsv or json/pubmedqa (default: by extension); stdin: text or jsonl (default: a line that is a JSON object is JSON)"
	return fs
}

// check validates the flags before the model is loaded.
func (c *predictCmd) check(nargs int) error {
	switch {
	case c.batch < 1:
		return fmt.Errorf("--batch-size must be >= 1, got %d", c.batch)
	case c.maxLen != 0 && c.maxLen < 2:
		return fmt.Errorf("--max-seq-length %d must be >= 2", c.maxLen)
	case c.topK < 0:
		return fmt.Errorf("--top-k must be >= 0, got %d", c.topK)
	case c.stride < 0:
		return fmt.Errorf("--stride must be >= 0, got %d", c.stride)
	case nargs > 0 && c.inFile != "":
		return errors.New("give TEXT arguments or --in FILE, not both")
	case c.shardCount > 1 && (c.inFile == "" || c.outFile == ""):
		return errors.New("--shard-count needs --in FILE and --out FILE")
	}
	if err := shard.Check(c.shardIndex, c.shardCount); err != nil {
		return err
	}
	if c.outFile != "" {
		if err := checkNewFile("out", c.outFile); err != nil {
			return err
		}
	}
	if _, err := pipeline.ParseLongText(c.longText); err != nil {
		return fmt.Errorf("--long-text: %w", err)
	}
	if c.threshold != "" && c.threshold != "none" {
		if _, err := pipeline.ParseThreshold(c.threshold, nil, nil); err != nil {
			return fmt.Errorf("--threshold: %w", err)
		}
	}
	if c.inFile != "" {
		return c.df.check(map[string]string{"in": c.inFile})
	}
	if c.df.format != "" && c.df.format != "text" {
		if f, err := data.ParseFormat(c.df.format); err != nil || f != data.FormatJSONL {
			return fmt.Errorf("--format %s: stdin holds text or JSON lines (--format text or jsonl); use --in FILE for other formats", c.df.format)
		}
	}
	return nil
}

func runPredict(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	c := &predictCmd{}
	fs := c.flags(stderr)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := c.check(fs.NArg()); err != nil {
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
			return c.predictQA(ctx, stdout)
		}
		return c.predictNER(ctx, fs.Args(), stdin, stdout)
	}
	lt, _ := pipeline.ParseLongText(c.longText)
	p, err := loadClassifier("model", c.modelDir, pipeline.Options{MaxLength: c.maxLen, BatchSize: c.batch, LongText: lt, Stride: c.stride})
	if err != nil {
		return err
	}
	if err := c.applyThreshold(p); err != nil {
		return err
	}
	c.describe(stderr, p)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if c.outFile != "" {
		// The whole output goes to a temporary file renamed into place, so
		// a killed worker never leaves a partial shard behind.
		return atomicfile.Write(c.outFile, func(f io.Writer) error {
			return c.predictTo(ctx, p, fs.Args(), stdin, f, stderr)
		})
	}
	return c.predictTo(ctx, p, fs.Args(), stdin, stdout, stderr)
}

// predictTo writes one JSON line per input to dst.
func (c *predictCmd) predictTo(ctx context.Context, p *pipeline.Pipeline, args []string, stdin io.Reader, dst, stderr io.Writer) error {
	w := bufio.NewWriter(dst)
	defer w.Flush()
	out := &predictOut{c: c, p: p, w: w}
	var err error
	switch {
	case len(args) > 0:
		var exs []data.Example
		for _, t := range args {
			exs = append(exs, data.Example{Text: t})
		}
		err = out.emit(ctx, exs)
	case c.inFile != "":
		err = c.predictFile(ctx, out, stderr)
	default:
		err = c.predictStdin(ctx, out, stdin, stderr)
	}
	if err == nil && out.truncated > 0 {
		fmt.Fprintf(stderr, "predict: %d of %d inputs were longer than %d tokens and truncated (see --long-text windows)\n", out.truncated, out.n, p.MaxLength)
	}
	return err
}

// applyThreshold resolves --threshold against the model's labels and the
// folder's saved threshold.
func (c *predictCmd) applyThreshold(p *pipeline.Pipeline) error {
	switch c.threshold {
	case "":
		return nil
	case "none":
		p.Threshold = nil
		return nil
	}
	t, err := pipeline.ParseThreshold(c.threshold, p.Labels.Names(), p.Threshold)
	if err != nil {
		return fmt.Errorf("--threshold: %w", err)
	}
	p.Threshold = t
	return nil
}

// describe prints, once, the settings that decide the predictions: the
// maximum length, the long-text mode and the decision threshold.
func (c *predictCmd) describe(w io.Writer, p *pipeline.Pipeline) {
	src := "max_position_embeddings, at most 512"
	if c.maxLen != 0 {
		src = "--max-seq-length"
	}
	mode := "longer inputs are truncated"
	if p.LongText == pipeline.LongTextWindows {
		stride := p.Stride
		if stride == 0 {
			stride = p.MaxLength / 4
		}
		mode = fmt.Sprintf("longer inputs are read in windows sharing %d tokens (at most %d), probabilities averaged", stride, pipeline.MaxWindows)
	}
	fmt.Fprintf(w, "predict: max length %d tokens (%s); %s\n", p.MaxLength, src, mode)
	if t := p.Threshold; t != nil {
		from := "--threshold"
		if c.threshold == "" {
			from = pipeline.ThresholdFile
			if t.Data != "" {
				from += ", chosen on " + t.Data
			}
			if t.TargetRecall != nil {
				from += fmt.Sprintf(" for recall >= %g", *t.TargetRecall)
			}
		}
		fmt.Fprintf(w, "predict: decision threshold %.6g on P(%s) (%s)\n", t.Value, t.Label, from)
	}
}

// predictFile classifies every row of --in, in batches, in file order.
func (c *predictCmd) predictFile(ctx context.Context, out *predictOut, stderr io.Writer) error {
	opt, err := c.df.options()
	if err != nil {
		return err
	}
	opt.Unlabeled, opt.KeepFields = true, true
	exs, sk, err := data.ReadExamples(c.inFile, opt)
	if err != nil {
		return err
	}
	c.df.report(stderr, filepath.Base(c.inFile), sk)
	if sk.Blank > 0 && !c.df.skipBadRows {
		fmt.Fprintf(stderr, "predict: skipped %s\n", emptyLines(sk.Blank))
	}
	if c.shardCount > 1 {
		lo, hi := shard.Range(len(exs), c.batch, c.shardIndex, c.shardCount)
		sum, err := shard.FileSHA256(c.inFile)
		if err != nil {
			return err
		}
		m := shard.Manifest{Index: c.shardIndex, Count: c.shardCount, InputSHA256: sum, Rows: [2]int{lo, hi}, Total: len(exs)}
		if err := shard.WriteManifest(c.outFile, m); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "predict: shard %d of %d: rows %d to %d of %d\n", c.shardIndex, c.shardCount, lo, hi, len(exs))
		exs = exs[lo:hi]
	}
	for i := 0; i < len(exs); i += c.batch {
		if err := out.emit(ctx, exs[i:min(i+c.batch, len(exs))]); err != nil {
			return err
		}
	}
	return nil
}

// predictStdin streams stdin: each line is a text, or (--format jsonl, or
// a line that is a JSON object) a JSON object with the text, an optional
// text_pair and pass-through fields. Output starts before input ends.
func (c *predictCmd) predictStdin(ctx context.Context, out *predictOut, stdin io.Reader, stderr io.Writer) error {
	df := c.df
	df.format = "" // text or jsonl, decided per line by stdinRecord
	opt, err := df.options()
	if err != nil {
		return err
	}
	opt.Unlabeled, opt.KeepFields = true, true
	var pending []data.Example
	sk, err := data.ScanTexts(stdin, "stdin", opt, func(e data.Example) error {
		if e, err = c.stdinRecord(e, opt); err != nil {
			return err
		}
		if pending = append(pending, e); len(pending) == c.batch {
			err = out.emit(ctx, pending)
			pending = pending[:0]
		}
		return err
	})
	if err == nil && len(pending) > 0 {
		err = out.emit(ctx, pending)
	}
	c.df.report(stderr, "stdin", sk)
	if sk.Blank > 0 {
		fmt.Fprintf(stderr, "predict: skipped %s\n", emptyLines(sk.Blank))
	}
	return err
}

// stdinRecord decodes a stdin line that holds a JSON object. Without
// --text-pair-column a "text_pair" field, when present, is the pair.
func (c *predictCmd) stdinRecord(e data.Example, opt data.Options) (data.Example, error) {
	t := strings.TrimSpace(e.Text)
	isJSON := c.df.format == "jsonl" || c.df.format == "ndjson" ||
		(c.df.format == "" && strings.HasPrefix(t, "{") && strings.HasSuffix(t, "}"))
	if !isJSON {
		return e, nil
	}
	r, err := data.ParseRecord([]byte(t), e.Pos, opt)
	if err != nil {
		return r, fmt.Errorf("%w (a line starting with { is read as JSON; pass --format text to read it as text)", err)
	}
	if _, ok := r.Field("text_pair"); ok && opt.TextPairField == "" {
		opt.TextPairField = "text_pair"
		if r, err = data.ParseRecord([]byte(t), e.Pos, opt); err != nil {
			return r, err
		}
	}
	return r, nil
}

// predictOut classifies batches and writes one JSON line per input: its
// pass-through fields, then the prediction.
type predictOut struct {
	c            *predictCmd
	p            *pipeline.Pipeline
	w            *bufio.Writer
	n, truncated int
}

func (o *predictOut) emit(ctx context.Context, exs []data.Example) error {
	in := make([]pipeline.Input, len(exs))
	for i, e := range exs {
		in[i] = pipeline.Input{Text: e.Text, TextPair: e.TextPair}
	}
	res, err := o.p.Classify(ctx, in)
	if err != nil {
		return err
	}
	for i, r := range res {
		o.n++
		if r.Truncated {
			o.truncated++
		}
		b, err := predictionLine(exs[i], r, o.c.topK, o.p.LongText == pipeline.LongTextWindows)
		if err != nil {
			return err
		}
		o.w.Write(b)
	}
	return o.w.Flush()
}

// predictionLine is one output object: the input's fields (an id, ...) in
// input order, renamed input_NAME when they clash with a prediction key,
// then the prediction's keys.
func predictionLine(e data.Example, r pipeline.Classification, topK int, windows bool) ([]byte, error) {
	pr := prediction{Label: r.Label, Score: r.Score, Scores: map[string]float64{}, Logits: r.Logits, Truncated: r.Truncated}
	for i, v := range r.Scores {
		pr.Scores[r.Labels[i]] = v
	}
	if topK > 0 {
		pr.TopK = r.Top(topK)
	}
	if r.Threshold != nil {
		pr.Threshold = &thresholdOut{r.Threshold.Label, r.Threshold.Value}
	}
	if windows {
		pr.Windows = r.Windows
	}
	body, err := json.Marshal(pr)
	if err != nil {
		return nil, err
	}
	var b []byte
	b = append(b, '{')
	if e.ID != "" {
		e.Fields = append([]data.Field{{Name: "id", Value: mustJSON(e.ID)}}, e.Fields...)
	}
	for _, f := range e.Fields {
		name := f.Name
		if predictionKeys[name] {
			name = "input_" + name
		}
		b = append(append(append(b, mustJSON(name)...), ':'), f.Value...)
		b = append(b, ',')
	}
	b = append(b, body[1:]...)
	return append(b, '\n'), nil
}

// predictionKeys are the keys a prediction line may hold.
var predictionKeys = map[string]bool{"label": true, "score": true, "scores": true, "logits": true, "top_k": true,
	"threshold": true, "windows": true, "truncated": true}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

func emptyLines(n int) string {
	if n == 1 {
		return "1 empty line"
	}
	return fmt.Sprintf("%d empty lines", n)
}
