package torchfile

import "strings"

// ModernName maps a key from an old (TF-ported, pre-2019) BERT checkpoint
// to the current Hugging Face spelling: a final ".gamma" becomes ".weight"
// and ".beta" becomes ".bias" (LayerNorm parameters), as transformers'
// PreTrainedModel._fix_key does. Other keys are returned unchanged.
func ModernName(key string) string {
	switch {
	case strings.HasSuffix(key, ".gamma"):
		return strings.TrimSuffix(key, ".gamma") + ".weight"
	case strings.HasSuffix(key, ".beta"):
		return strings.TrimSuffix(key, ".beta") + ".bias"
	}
	return key
}

// IsBuffer reports whether key names a non-parameter buffer that old
// transformers versions saved in BERT state_dicts (embeddings.position_ids,
// embeddings.token_type_ids). Loaders ignore them; current HF no longer
// saves them.
func IsBuffer(key string) bool {
	return strings.HasSuffix(key, "embeddings.position_ids") || strings.HasSuffix(key, "embeddings.token_type_ids")
}
