package pipeline

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"

	"github.com/medbert/medbert/bert"
	"github.com/medbert/medbert/data"
	"github.com/medbert/medbert/task/seqcls"
	"github.com/medbert/medbert/tokenize"
)

// NewClassifier builds a randomly initialised sequence classifier for
// labels (id order) from a config and a vocabulary: a model trained from
// scratch. cfg is modified (labels, architectures). The tokenizer's casing
// is opts.Lower when given, else tokenize.InferLowerCase's decision from
// the vocabulary.
func NewClassifier(cfg *bert.Config, v *tokenize.Vocab, labels []string, opts Options) (*Pipeline, error) {
	if v.Len() > cfg.VocabSize {
		return nil, fmt.Errorf("the vocabulary has %d tokens but the config says vocab_size %d", v.Len(), cfg.VocabSize)
	}
	cfg.SetLabels(labels)
	cfg.Architectures = []string{bert.ClassName(bert.HeadSeqCls)}
	m, err := bert.New(cfg, bert.HeadSeqCls, opts.Seed)
	if err != nil {
		return nil, err
	}
	s := tokenize.VocabSettings(v, opts.Lower)
	s.ModelMaxLength = cfg.MaxPositionEmbeddings
	tok, err := tokenize.New(v, s)
	if err != nil {
		return nil, err
	}
	return New(m, tok, opts)
}

// ForFineTune loads a model folder as a sequence classifier for labels.
// When the checkpoint's id2label already names every label, its head is
// kept (with the checkpoint's ids); otherwise the labels, in the given
// order, get a fresh classifier, as HF does for a new task. The report
// lists what the checkpoint lacked or did not use.
func ForFineTune(dir string, labels []string, opts Options) (*Pipeline, *bert.LoadReport, error) {
	cfg, err := bert.LoadConfig(filepath.Join(dir, bert.FileConfig))
	if err != nil {
		return nil, nil, err
	}
	tok, err := LoadTokenizer(dir, cfg, opts.Lower)
	if err != nil {
		return nil, nil, err
	}
	var m *bert.Model
	var rep *bert.LoadReport
	if keepHead(cfg.Labels(), labels) {
		m, rep, err = bert.Load(dir, bert.LoadOptions{Head: bert.HeadSeqCls, Seed: opts.Seed})
	} else {
		m, rep, err = newHead(dir, cfg, labels, opts.Seed)
	}
	if err != nil {
		return nil, nil, err
	}
	// HF records where a model came from as _name_or_path; the model card
	// names it as the base model.
	if m.Config.Extra == nil {
		m.Config.Extra = map[string]json.RawMessage{}
	}
	if _, ok := m.Config.Extra[keyNameOrPath]; !ok {
		b, _ := json.Marshal(filepath.Base(filepath.Clean(dir)))
		m.Config.Extra[keyNameOrPath] = b
	}
	p, err := New(m, tok, opts)
	return p, rep, err
}

// keyNameOrPath is HF's config.json record of the checkpoint a model was
// loaded from.
const keyNameOrPath = "_name_or_path"

// keepHead reports whether a checkpoint's labels (not HF's placeholder
// LABEL_0, LABEL_1, ...) cover every wanted label.
func keepHead(have, want []string) bool {
	generic := true
	for i, l := range have {
		if l != fmt.Sprintf("LABEL_%d", i) {
			generic = false
		}
	}
	if generic {
		return false
	}
	for _, l := range want {
		if !slices.Contains(have, l) {
			return false
		}
	}
	return true
}

// newHead builds a classifier for labels on a checkpoint's trunk, hiding
// the checkpoint's own classifier whose label set does not match.
func newHead(dir string, cfg *bert.Config, labels []string, seed uint64) (*bert.Model, *bert.LoadReport, error) {
	cfg.SetLabels(labels)
	cfg.Architectures = []string{bert.ClassName(bert.HeadSeqCls)}
	m, err := bert.New(cfg, bert.HeadSeqCls, seed)
	if err != nil {
		return nil, nil, err
	}
	rep, err := m.LoadTrunk(dir, seed)
	if err != nil {
		return nil, nil, err
	}
	return m, rep, nil
}

// TrainTask featurizes training and evaluation examples (at the
// pipeline's MaxLength) into the sequence-classification task the
// Trainer optimises. classWeights (nil: none) are in label-id order.
func (p *Pipeline) TrainTask(trainEx, evalEx []data.Example, evalBatch int, classWeights []float64) (*seqcls.Task, error) {
	tr, err := p.Featurize(trainEx)
	if err != nil {
		return nil, err
	}
	var ev []seqcls.Features
	if len(evalEx) > 0 {
		if ev, err = p.Featurize(evalEx); err != nil {
			return nil, err
		}
	}
	var w []float32
	for _, x := range classWeights {
		w = append(w, float32(x))
	}
	return &seqcls.Task{Model: p.Model, Tokenizer: p.Tokenizer, Labels: p.Labels.Names(), Train: tr, Eval: ev,
		EvalBatchSize: evalBatch, ClassWeights: w}, nil
}
