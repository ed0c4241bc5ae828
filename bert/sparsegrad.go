package bert

// SetSparseEmbeddingGrad turns the row-sparse gradient of the word-embedding
// table (bert.embeddings.word_embeddings.weight) on or off and reports
// whether it is on. A training step then accumulates only the rows its
// batch looked up (the table's tensor.RowGrad, Weight.RowGrad()) instead of
// the dense vocab × hidden gradient (85 MiB for BERT-base). It stays off
// for a masked-LM head, whose decoder is the same table and needs its
// dense gradient, and for a quantized or packed (inference-only) model.
// Model.ZeroGrad empties the row-sparse gradient too.
func (m *Model) SetSparseEmbeddingGrad(on bool) bool {
	w := m.Bert.Embeddings.WordEmbeddings.Weight
	if !on || m.MLM != nil || m.quant != nil || m.packed {
		_ = w.SetRowSparseGrad(false) // turning off cannot fail
		return false
	}
	return w.SetRowSparseGrad(true) == nil
}
