package main

import (
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/medbert/medbert/bert"
	"github.com/medbert/medbert/data"
	"github.com/medbert/medbert/tokenize"
	"github.com/medbert/medbert/train"
)

// tokenizerSetup wraps a WordPiece tokenizer for the trainer: encoding
// with truncation and writing the tokenizer files into model folders.
type tokenizerSetup struct {
	tok   *tokenize.Tokenizer
	padID int
}

func newTokenizerSetup(tok *tokenize.Tokenizer) *tokenizerSetup {
	return &tokenizerSetup{tok: tok, padID: tok.PadID()}
}

// encode is a train.EncodeFunc: [CLS] a [SEP] (b [SEP]), longest-first
// truncation to maxLen, no padding.
func (ts *tokenizerSetup) encode(text, pair string, maxLen int) ([]int, []int, error) {
	opt := tokenize.Options{MaxLength: maxLen, Truncation: tokenize.LongestFirst}
	var e tokenize.Encoding
	var err error
	if pair == "" {
		e, err = ts.tok.Encode(text, opt)
	} else {
		e, err = ts.tok.EncodePair(text, pair, opt)
	}
	if err != nil {
		return nil, nil, err
	}
	return e.IDs, e.TypeIDs, nil
}

// modelSetup is a seq-cls model with its tokenizer and label mapping.
type modelSetup struct {
	model   *bert.Model
	tok     *tokenizerSetup
	labelID map[string]int
}

func (ms *modelSetup) setLabelIDs() {
	ms.labelID = map[string]int{}
	for i, l := range ms.model.Config.Labels() {
		ms.labelID[l] = i
	}
}

// featurize tokenizes examples; a label unknown to the model is an error
// naming file:line.
func (ms *modelSetup) featurize(exs []data.Example, maxLen int) ([]train.Features, error) {
	conv := make([]train.Example, len(exs))
	for i, e := range exs {
		id, ok := ms.labelID[e.Label]
		if !ok {
			return nil, fmt.Errorf("%s: label %q is not one of the model's labels %v", e.Pos, e.Label, ms.model.Config.Labels())
		}
		conv[i] = train.Example{Text: e.Text, Pair: e.TextPair, Label: id}
	}
	return train.Featurize(ms.tok.encode, conv, maxLen)
}

// writeSummary prints the data.Summary of a split: rows, class balance,
// length percentiles in tokens (with [CLS]/[SEP], before truncation) and
// how many examples maxLen truncates, so a user sees imbalance or a too
// short --max-seq-length before spending hours on training.
func (ms *modelSetup) writeSummary(w io.Writer, name string, exs []data.Example, maxLen int) error {
	length := func(e data.Example) int {
		var enc tokenize.Encoding
		var err error
		if e.TextPair == "" {
			enc, err = ms.tok.tok.Encode(e.Text, tokenize.Options{})
		} else {
			enc, err = ms.tok.tok.EncodePair(e.Text, e.TextPair, tokenize.Options{})
		}
		if err != nil { // cannot happen without truncation; count it as empty
			return 0
		}
		return enc.Len()
	}
	var b strings.Builder
	if err := data.Summarize(exs, length, "tokens", maxLen).WriteText(&b); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%s: %s", name, strings.ReplaceAll(strings.TrimSuffix(b.String(), "\n"), "\n", "\n  ")+"\n")
	return err
}

// task builds the sequence-classification task for the trainer.
func (ms *modelSetup) task(a *train.Args, trainEx, valEx []data.Example) (*train.SeqCls, error) {
	tr, err := ms.featurize(trainEx, a.MaxSeqLength)
	if err != nil {
		return nil, err
	}
	var ev []train.Features
	if len(valEx) > 0 {
		if ev, err = ms.featurize(valEx, a.MaxSeqLength); err != nil {
			return nil, err
		}
	}
	var w []float32
	for _, x := range a.ClassWeights {
		w = append(w, float32(x))
	}
	return &train.SeqCls{
		Model: ms.model, Labels: ms.model.Config.Labels(), Train: tr, Eval: ev, PadID: ms.tok.padID,
		EvalBatchSize: a.PerDeviceEvalBatchSize, ClassWeights: w, SaveTokenizer: ms.tok.tok.SaveDir,
	}, nil
}

// genericLabels reports HF's placeholder names LABEL_0, LABEL_1, ...
func genericLabels(ls []string) bool {
	for i, l := range ls {
		if l != fmt.Sprintf("LABEL_%d", i) {
			return false
		}
	}
	return true
}

// loadForFineTune loads a model folder for sequence classification. When
// the checkpoint's id2label already names every training label, its head
// is kept; otherwise the label vocabulary comes from the training data
// (sorted) and a fresh classifier is initialised, as HF does for a new task.
// lower overrides the folder's casing (nil: tokenize.ReadDir decides).
func loadForFineTune(dir string, trainEx []data.Example, seed uint64, lower *bool, log io.Writer) (*modelSetup, error) {
	cfg, err := bert.LoadConfig(filepath.Join(dir, bert.FileConfig))
	if err != nil {
		return nil, err
	}
	tok, err := loadTokenizerDirWith(dir, cfg, lower)
	if err != nil {
		return nil, err
	}
	labels := sortedLabels(trainEx)
	have := cfg.Labels()
	keep := !genericLabels(have)
	for _, l := range labels {
		if !slices.Contains(have, l) {
			keep = false
		}
	}
	var m *bert.Model
	var rep *bert.LoadReport
	if keep {
		m, rep, err = bert.Load(dir, bert.LoadOptions{Head: bert.HeadSeqCls, Seed: seed})
		if err != nil {
			return nil, err
		}
	} else {
		cfg.SetLabels(labels)
		cfg.Architectures = []string{bert.ClassName(bert.HeadSeqCls)}
		if m, err = bert.New(cfg, bert.HeadSeqCls, seed); err != nil {
			return nil, err
		}
		src, name, err := bert.OpenWeights(dir)
		if err != nil {
			return nil, err
		}
		defer src.Close()
		if rep, err = m.LoadWeights(withoutPrefix{src, "classifier."}, name, seed); err != nil {
			return nil, err
		}
	}
	for _, w := range rep.Warnings(bert.ClassName(bert.HeadSeqCls)) {
		fmt.Fprintln(log, w)
	}
	ms := &modelSetup{model: m, tok: newTokenizerSetup(tok)}
	ms.setLabelIDs()
	return ms, nil
}

// withoutPrefix hides a checkpoint's keys with a prefix (an old
// classification head whose label set does not match).
type withoutPrefix struct {
	bert.WeightSource
	prefix string
}

func (w withoutPrefix) Names() []string {
	var out []string
	for _, n := range w.WeightSource.Names() {
		if !strings.HasPrefix(n, w.prefix) {
			out = append(out, n)
		}
	}
	return out
}

// newFromScratch builds a randomly initialised model from a config.json and
// a vocab.txt, labels from the training data.
func newFromScratch(configPath, vocabPath string, trainEx []data.Example, seed uint64, lower *bool) (*modelSetup, error) {
	cfg, err := bert.LoadConfig(configPath)
	if err != nil {
		return nil, err
	}
	v, err := tokenize.LoadVocab(vocabPath)
	if err != nil {
		return nil, err
	}
	if v.Len() > cfg.VocabSize {
		return nil, fmt.Errorf("%s has %d tokens but %s says vocab_size %d", vocabPath, v.Len(), configPath, cfg.VocabSize)
	}
	return newModelSetup(cfg, v, sortedLabels(trainEx), seed, lower)
}

// newModelSetup initialises a seq-cls model for labels. Its tokenizer's
// casing is lower when given, else tokenize.InferLowerCase's decision from
// the vocabulary (the same rule as for model folders without a
// tokenizer_config.json: bert-base-uncased's vocabulary holds two
// upper-case symbols and is still uncased).
func newModelSetup(cfg *bert.Config, v *tokenize.Vocab, labels []string, seed uint64, lower *bool) (*modelSetup, error) {
	cfg.SetLabels(labels)
	cfg.Architectures = []string{bert.ClassName(bert.HeadSeqCls)}
	m, err := bert.New(cfg, bert.HeadSeqCls, seed)
	if err != nil {
		return nil, err
	}
	s := tokenize.VocabSettings(v, lower)
	s.ModelMaxLength = cfg.MaxPositionEmbeddings
	tok, err := tokenize.New(v, s)
	if err != nil {
		return nil, err
	}
	ms := &modelSetup{model: m, tok: newTokenizerSetup(tok)}
	ms.setLabelIDs()
	return ms, nil
}

// loadTokenizerDir loads the tokenizer of a model folder with
// tokenize.LoadDir (vocab.txt or tokenizer.json, tokenizer_config.json,
// explicit casing decision), capping model_max_length at the model's
// position embeddings.
func loadTokenizerDir(dir string, cfg *bert.Config) (*tokenize.Tokenizer, error) {
	return loadTokenizerDirWith(dir, cfg, nil)
}

// loadTokenizerDirWith is loadTokenizerDir with an optional casing
// override (--lower / --no-lower).
func loadTokenizerDirWith(dir string, cfg *bert.Config, lower *bool) (*tokenize.Tokenizer, error) {
	s, v, err := tokenize.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	s.OverrideLowerCase(lower)
	if s.ModelMaxLength <= 0 || s.ModelMaxLength > cfg.MaxPositionEmbeddings {
		s.ModelMaxLength = min(cfg.MaxPositionEmbeddings, 512)
	}
	t, err := tokenize.New(v, s)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	return t, nil
}
