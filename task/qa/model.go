package qa

import (
	"github.com/medbert/medbert/bert"
)

// NewModel builds a randomly initialised question-answering model from cfg
// (config.json of --config); cfg is not changed.
func NewModel(cfg *bert.Config, seed uint64) (*bert.Model, error) {
	c := cfg.Clone()
	c.SetNumLabels(2) // qa_outputs has 2 outputs; HF builds it from num_labels
	c.Architectures = []string{bert.ClassName(bert.HeadQA)}
	return bert.New(c, bert.HeadQA, seed)
}

// LoadModel loads the model folder dir for question answering: a QA
// checkpoint as it is, any other (a pretrained encoder) with a fresh
// qa_outputs layer, which the load report lists.
func LoadModel(dir string, seed uint64) (*bert.Model, *bert.LoadReport, error) {
	return bert.Load(dir, bert.LoadOptions{Head: bert.HeadQA, Seed: seed})
}
