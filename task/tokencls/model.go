package tokencls

import (
	"fmt"
	"path/filepath"
	"slices"

	"github.com/medbert/medbert/bert"
	"github.com/medbert/medbert/data"
)

// TagLabels returns the label names for training on sents: their distinct
// tags sorted (B-Disease, I-Disease, O), as HF run_ner's get_label_list.
// Convert the sentences first (ConvertSentences) to train another scheme.
func TagLabels(sents []data.Sentence) ([]string, error) {
	l, err := data.BuildTagLabels(sents)
	if err != nil {
		return nil, err
	}
	return l.Names(), nil
}

// ConvertSentences rewrites the tags of every sentence into scheme s, in
// place (untagged sentences are left alone).
func ConvertSentences(sents []data.Sentence, s Scheme) {
	for i := range sents {
		if sents[i].Tags != nil {
			sents[i].Tags = Convert(sents[i].Tags, s)
		}
	}
}

// NewModel builds a randomly initialised token-classification model from
// cfg (config.json of --config) with the given labels; cfg is not changed.
func NewModel(cfg *bert.Config, labels []string, seed uint64) (*bert.Model, error) {
	c := cfg.Clone()
	c.SetLabels(labels)
	c.Architectures = []string{bert.ClassName(bert.HeadTokenCls)}
	return bert.New(c, bert.HeadTokenCls, seed)
}

// LoadModel loads the model folder dir for fine-tuning on labels. A
// token-classification checkpoint whose id2label holds exactly these
// labels keeps its classifier; any other checkpoint (a pretrained encoder,
// another head or another label set) gets a fresh classifier, as HF does
// for a new task. The load report lists what was initialised or unused.
func LoadModel(dir string, labels []string, seed uint64) (*bert.Model, *bert.LoadReport, error) {
	cfg, err := bert.LoadConfig(filepath.Join(dir, bert.FileConfig))
	if err != nil {
		return nil, nil, err
	}
	have := cfg.Labels()
	keep := bert.DefaultHead(cfg) == bert.HeadTokenCls && len(have) == len(labels)
	for _, l := range labels {
		keep = keep && slices.Contains(have, l)
	}
	if keep {
		m, rep, err := bert.Load(dir, bert.LoadOptions{Head: bert.HeadTokenCls, Seed: seed})
		if err != nil {
			return nil, nil, err
		}
		return m, rep, nil
	}
	m, err := NewModel(cfg, labels, seed)
	if err != nil {
		return nil, nil, err
	}
	rep, err := m.LoadTrunk(dir, seed)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", dir, err)
	}
	return m, rep, nil
}
