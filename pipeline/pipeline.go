// Package pipeline is a loaded model folder as one value: the model
// (float32 or int8), its tokenizer, label names, task kind, maximum input
// length and an identity hash, with typed, context-aware prediction that
// any number of goroutines may call at once. The command line, a server or
// a Go program embedding medbert load a folder the same way:
//
//	p, err := pipeline.Load("my-model", pipeline.Options{})
//	out, err := p.Classify(ctx, []pipeline.Input{{Text: "chest pain on exertion"}})
//	fmt.Println(out[0].Label, out[0].Score)
package pipeline

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/medbert/medbert/bert"
	"github.com/medbert/medbert/data"
	"github.com/medbert/medbert/seal"
	"github.com/medbert/medbert/tokenize"
)

// Task kinds. A folder names its kind in config.json under TaskKey; when
// the key is absent the kind follows from the head (architectures).
const (
	TaskClassification    = "classification"     // BertForSequenceClassification
	TaskNER               = "ner"                // BertForTokenClassification
	TaskQA                = "qa"                 // BertForQuestionAnswering
	TaskFillMask          = "fill-mask"          // BertForMaskedLM
	TaskFeatureExtraction = "feature-extraction" // BertModel
)

// TaskKey is the config.json field that records the task kind.
const TaskKey = "medbert_task"

// DefaultMaxLength caps the inference length when neither Options nor the
// model say otherwise (BERT's usual position limit).
const DefaultMaxLength = 512

// Options tune Load and New. The zero value loads the folder's own head
// with at most 512 tokens per input and batches of 8.
type Options struct {
	// Head to build ("" = the one config.json's architectures name).
	Head string
	// MaxLength truncates inputs to this many tokens, [CLS]/[SEP]
	// included; 0 = max_position_embeddings, at most DefaultMaxLength.
	MaxLength int
	// BatchSize is the number of inputs per forward pass (0 = 8).
	BatchSize int
	// Lower overrides the tokenizer's casing (nil: the folder decides).
	Lower *bool
	// Seed initialises weights the checkpoint lacks (a new head).
	Seed uint64
	// Key reads a folder encrypted by `medbert encrypt` (every file
	// NAME.sealed): it is decrypted in memory only, never on disk.
	Key *seal.Key
	// LongText and Stride set the pipeline's fields of the same names.
	LongText LongText
	Stride   int
}

// LongText is what classification does with an input longer than
// MaxLength.
type LongText string

const (
	// LongTextTruncate keeps the first MaxLength tokens (longest-first for
	// pairs, as training does).
	LongTextTruncate LongText = "truncate"
	// LongTextWindows reads the whole input (up to MaxWindows windows) in
	// overlapping windows of MaxLength tokens, Stride tokens shared between
	// neighbours, and averages the windows' probabilities. For a pair the
	// second text is windowed and the first repeated in every window.
	LongTextWindows LongText = "windows"
)

// MaxWindows bounds the windows read per input under LongTextWindows;
// text beyond them is cut before tokenization.
const MaxWindows = 64

// ParseLongText checks a --long-text value ("" = truncate).
func ParseLongText(s string) (LongText, error) {
	switch l := LongText(s); l {
	case "", LongTextTruncate:
		return LongTextTruncate, nil
	case LongTextWindows:
		return l, nil
	}
	return "", fmt.Errorf("unknown long-text mode %q (want truncate or windows)", s)
}

// Pipeline is a model with everything needed to turn text into answers.
// Its fields are set by Load or New; a caller may adjust MaxLength,
// BatchSize, LongText, Stride or Threshold before first use (a server
// applying a per-deployment threshold, say), but nothing may change them
// (nor call Save, which sets ID) while prediction methods run: those read
// the fields from many goroutines.
type Pipeline struct {
	Model     *bert.Model
	Tokenizer *tokenize.Tokenizer
	// Labels is the label vocabulary (id2label) of classification and NER
	// models; nil for heads without labels.
	Labels *data.Labels
	// Task is the task kind (TaskClassification, ...).
	Task string
	// MaxLength is the input length used, special tokens included.
	MaxLength int
	// BatchSize is the number of inputs per forward pass.
	BatchSize int
	// LongText is how inputs longer than MaxLength are classified
	// ("" = LongTextTruncate); Stride is the overlap of windows in tokens
	// (0 = MaxLength/4).
	LongText LongText
	Stride   int
	// Threshold is a binary classifier's decision threshold, applied by
	// Classify; Load reads the folder's ThresholdFile. nil = argmax.
	Threshold *Threshold
	// ID is the hex SHA-256 identity of the folder the pipeline was loaded
	// from or last saved to (see Identity); "" for an unsaved pipeline.
	ID string
}

// Load reads a model folder: config.json, weights (float32 or an int8
// folder written by quantize) and the tokenizer (vocab.txt or
// tokenizer.json, tokenizer_config.json). A pipeline is for inference:
// float32 weights are packed once for the GEMM and kept only packed
// (bert.Model.PackForInference); fine-tuning starts from ForFineTune.
func Load(dir string, opts Options) (*Pipeline, error) {
	if opts.Key != nil {
		return loadSealed(dir, opts)
	}
	m, _, err := bert.Load(dir, bert.LoadOptions{Head: opts.Head, Seed: opts.Seed})
	if err != nil {
		return nil, err
	}
	m.PackForInference()
	tok, err := LoadTokenizer(dir, m.Config, opts.Lower)
	if err != nil {
		return nil, err
	}
	p, err := New(m, tok, opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	if p.ID, err = Identity(dir); err != nil {
		return nil, err
	}
	if err := p.loadThreshold(os.DirFS(dir), dir); err != nil {
		return nil, err
	}
	return p, nil
}

// loadThreshold reads a classifier folder's saved decision threshold, if
// any, and checks it names one of the labels.
func (p *Pipeline) loadThreshold(fsys fs.FS, dir string) error {
	if p.Labels == nil {
		return nil
	}
	var err error
	if p.Threshold, err = loadThresholdFS(fsys, dir); err != nil || p.Threshold == nil {
		return err
	}
	if err := p.Threshold.Check(p.Labels.Names()); err != nil {
		return fmt.Errorf("%s: %w", filepath.Join(dir, ThresholdFile), err)
	}
	return nil
}

// New assembles a pipeline from a model and tokenizer in memory (a model
// just trained or built from scratch). It records the task kind in the
// model's config (TaskKey), so any later Save of the model keeps it. Its
// ID stays "" until Save.
func New(m *bert.Model, tok *tokenize.Tokenizer, opts Options) (*Pipeline, error) {
	if m == nil || tok == nil {
		return nil, errors.New("pipeline: a model and a tokenizer are required")
	}
	kind, err := taskKind(m)
	if err != nil {
		return nil, err
	}
	if m.Config.Extra == nil {
		m.Config.Extra = map[string]json.RawMessage{}
	}
	m.Config.Extra[TaskKey], _ = json.Marshal(kind)
	p := &Pipeline{Model: m, Tokenizer: tok, Task: kind, BatchSize: opts.BatchSize, LongText: opts.LongText, Stride: opts.Stride}
	if p.Stride < 0 {
		return nil, fmt.Errorf("stride %d must be >= 0", opts.Stride)
	}
	if p.BatchSize == 0 {
		p.BatchSize = 8
	}
	if p.BatchSize < 0 {
		return nil, fmt.Errorf("batch size %d must be >= 1", opts.BatchSize)
	}
	if p.MaxLength, err = MaxLength(m.Config, opts.MaxLength); err != nil {
		return nil, err
	}
	if kind == TaskClassification || kind == TaskNER {
		if p.Labels, err = data.NewLabels(m.Config.Labels()); err != nil {
			return nil, fmt.Errorf("config.json id2label: %w", err)
		}
	}
	return p, nil
}

// MaxLength resolves a requested maximum input length for a model: 0
// means max_position_embeddings capped at DefaultMaxLength; otherwise it
// must lie in [2, max_position_embeddings].
func MaxLength(cfg *bert.Config, requested int) (int, error) {
	maxPos := cfg.MaxPositionEmbeddings
	if requested == 0 {
		return min(maxPos, DefaultMaxLength), nil
	}
	if requested < 2 || requested > maxPos {
		return 0, fmt.Errorf("max length %d must be in [2, %d] (max_position_embeddings)", requested, maxPos)
	}
	return requested, nil
}

// taskKind reads config.json's TaskKey, else derives the kind from the
// head.
func taskKind(m *bert.Model) (string, error) {
	if raw, ok := m.Config.Extra[TaskKey]; ok {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil || s == "" {
			return "", fmt.Errorf("config.json field %q: want a task name such as %q", TaskKey, TaskClassification)
		}
		return s, nil
	}
	switch m.Head {
	case bert.HeadSeqCls:
		return TaskClassification, nil
	case bert.HeadTokenCls:
		return TaskNER, nil
	case bert.HeadQA:
		return TaskQA, nil
	case bert.HeadMLM:
		return TaskFillMask, nil
	}
	return TaskFeatureExtraction, nil
}

// Save writes the pipeline as a model folder that Load (and HF
// from_pretrained) reads: config.json with the task kind, the weights and
// the tokenizer files, and the Threshold if any. It then sets ID to the saved folder's identity.
func (p *Pipeline) Save(dir string) error {
	if err := p.Model.Save(dir); err != nil {
		return err
	}
	if err := p.Tokenizer.SaveDir(dir); err != nil {
		return err
	}
	if p.Threshold != nil {
		if err := SaveThreshold(dir, *p.Threshold); err != nil {
			return err
		}
	}
	id, err := Identity(dir)
	if err != nil {
		return err
	}
	p.ID = id
	return nil
}

// LoadTokenizer loads the tokenizer of a model folder (tokenize.ReadDir:
// vocab.txt or tokenizer.json, tokenizer_config.json, an explicit casing
// decision), with an optional casing override, capping model_max_length
// at the model's position embeddings.
func LoadTokenizer(dir string, cfg *bert.Config, lower *bool) (*tokenize.Tokenizer, error) {
	s, v, err := tokenize.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	return newTokenizer(dir, s, v, cfg, lower)
}

func newTokenizer(dir string, s tokenize.Settings, v *tokenize.Vocab, cfg *bert.Config, lower *bool) (*tokenize.Tokenizer, error) {
	s.OverrideLowerCase(lower)
	if s.ModelMaxLength <= 0 || s.ModelMaxLength > cfg.MaxPositionEmbeddings {
		s.ModelMaxLength = min(cfg.MaxPositionEmbeddings, DefaultMaxLength)
	}
	t, err := tokenize.New(v, s)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	return t, nil
}
