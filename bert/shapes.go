package bert

import "fmt"

// ExpectedShapes returns, by canonical key, the shape cfg gives every
// parameter that any of the heads loads: the trunk with its pooler, the
// classifier ([num_labels, hidden], shared by seqcls and tokencls),
// qa_outputs ([2, hidden]) and the MLM head (whose decoder is tied, so it
// has no key here). Tools use it to check a checkpoint against its config
// without allocating the model (medbert inspect); Load performs the same
// check on the parameters of the head it builds.
func ExpectedShapes(cfg *Config) map[string][]int {
	h, in := cfg.HiddenSize, cfg.IntermediateSize
	s := map[string][]int{
		"bert.embeddings.word_embeddings.weight":       {cfg.VocabSize, h},
		"bert.embeddings.position_embeddings.weight":   {cfg.MaxPositionEmbeddings, h},
		"bert.embeddings.token_type_embeddings.weight": {cfg.TypeVocabSize, h},
		"bert.pooler.dense.weight":                     {h, h},
		"bert.pooler.dense.bias":                       {h},
		"classifier.weight":                            {cfg.NumLabels, h},
		"classifier.bias":                              {cfg.NumLabels},
		"qa_outputs.weight":                            {2, h},
		"qa_outputs.bias":                              {2},
		"cls.predictions.bias":                         {cfg.VocabSize},
		"cls.predictions.transform.dense.weight":       {h, h},
		"cls.predictions.transform.dense.bias":         {h},
	}
	ln := func(p string) {
		s[p+".weight"] = []int{h}
		s[p+".bias"] = []int{h}
	}
	lin := func(p string, out, inDim int) {
		s[p+".weight"] = []int{out, inDim}
		s[p+".bias"] = []int{out}
	}
	ln("bert.embeddings.LayerNorm")
	ln("cls.predictions.transform.LayerNorm")
	for l := 0; l < cfg.NumHiddenLayers; l++ {
		p := fmt.Sprintf("bert.encoder.layer.%d.", l)
		lin(p+"attention.self.query", h, h)
		lin(p+"attention.self.key", h, h)
		lin(p+"attention.self.value", h, h)
		lin(p+"attention.output.dense", h, h)
		ln(p + "attention.output.LayerNorm")
		lin(p+"intermediate.dense", in, h)
		lin(p+"output.dense", h, in)
		ln(p + "output.LayerNorm")
	}
	return s
}
