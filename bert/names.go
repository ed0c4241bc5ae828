package bert

import (
	"fmt"
	"sort"
	"strings"
)

// Parameter key names, as HF transformers spells them in state dicts.
// Every model in this package names its parameters with the head-model
// spelling: trunk keys start with "bert." (BertForXxx.bert), head keys do not.
const (
	bertPrefix       = "bert."
	keyWordEmb       = "bert.embeddings.word_embeddings.weight"
	keyMLMBias       = "cls.predictions.bias"
	keyDecoderWeight = "cls.predictions.decoder.weight" // tied to keyWordEmb
	keyDecoderBias   = "cls.predictions.decoder.bias"   // tied to keyMLMBias
	keyPositionIDs   = "bert.embeddings.position_ids"   // a buffer, never a parameter
)

// trunkTopLevel are the BertModel children; a key starting with one of them
// comes from a bare BertModel checkpoint (no "bert." prefix).
var trunkTopLevel = []string{"embeddings.", "encoder.", "pooler."}

// CanonicalKey maps a checkpoint key to the name this package uses:
//   - legacy TF-era LayerNorm names "….gamma" / "….beta" become
//     "….weight" / "….bias" (HF PreTrainedModel._fix_key);
//   - bare BertModel keys ("embeddings.…", "encoder.…", "pooler.…") get the
//     "bert." prefix, as HF does when loading a base checkpoint into a head
//     model (base_model_prefix handling in _load_pretrained_model).
func CanonicalKey(k string) string {
	switch {
	case strings.HasSuffix(k, ".gamma"):
		k = strings.TrimSuffix(k, ".gamma") + ".weight"
	case strings.HasSuffix(k, ".beta"):
		k = strings.TrimSuffix(k, ".beta") + ".bias"
	}
	for _, p := range trunkTopLevel {
		if strings.HasPrefix(k, p) {
			return bertPrefix + k
		}
	}
	return k
}

// SaveKey maps a canonical key to the name written for the given head:
// a bare BertModel ("base") saves without the "bert." prefix, exactly as
// BertModel.save_pretrained does; heads keep it.
func SaveKey(head, canonical string) string {
	if head == HeadBase {
		return strings.TrimPrefix(canonical, bertPrefix)
	}
	return canonical
}

// keyIndex maps canonical names to the source's own key names.
type keyIndex struct {
	byCanon map[string]string
	// dups are source keys that collided with an earlier key's canonical
	// name (e.g. both "LayerNorm.gamma" and "LayerNorm.weight"); reported unused.
	dups []string
}

func indexKeys(names []string) keyIndex {
	ix := keyIndex{byCanon: make(map[string]string, len(names))}
	sorted := append([]string(nil), names...)
	// Prefer modern spellings when a file holds both: sort puts "…weight"
	// after "…gamma", so process modern names first by a stable two-pass.
	sort.Strings(sorted)
	for pass := 0; pass < 2; pass++ {
		for _, n := range sorted {
			c := CanonicalKey(n)
			modern := c == n || !(strings.HasSuffix(n, ".gamma") || strings.HasSuffix(n, ".beta"))
			if (pass == 0) != modern {
				continue
			}
			if _, seen := ix.byCanon[c]; seen {
				ix.dups = append(ix.dups, n)
				continue
			}
			ix.byCanon[c] = n
		}
	}
	return ix
}

// LoadReport says what Load did with each key, like the warnings
// transformers' from_pretrained logs.
type LoadReport struct {
	// Source is the weight file (or index file) read, relative to the folder.
	Source string
	// Missing are parameters of the model absent from the checkpoint; they
	// were freshly initialised (and are listed in Initialized too).
	Missing []string
	// Unused are checkpoint keys the model has no parameter for (e.g.
	// cls.seq_relationship.* when loading a pre-training checkpoint into a
	// classifier, or the bert.embeddings.position_ids buffer).
	Unused []string
	// Initialized are parameters that got fresh values: N(0, initializer_range)
	// weights (seeded), zero biases, LayerNorm weight 1.
	Initialized []string
	// Tied notes tied aliases resolved, e.g. the MLM decoder weight.
	Tied []string
	// Renamed counts keys that needed the legacy gamma/beta or prefix fix.
	Renamed int
}

// Warnings renders the report as HF-style log lines (empty when clean).
func (r *LoadReport) Warnings(modelClass string) []string {
	var w []string
	if len(r.Unused) > 0 {
		w = append(w, fmt.Sprintf("Some weights of the model checkpoint were not used when initializing %s: %s", modelClass, strings.Join(r.Unused, ", ")))
	}
	if len(r.Missing) > 0 {
		w = append(w, fmt.Sprintf("Some weights of %s were not initialized from the model checkpoint and are newly initialized: %s. You should probably TRAIN this model on a down-stream task to be able to use it for predictions and inference.", modelClass, strings.Join(r.Missing, ", ")))
	}
	return w
}

// ShapeError reports a checkpoint tensor whose shape disagrees with the config.
type ShapeError struct {
	File     string
	Key      string
	Expected []int
	Got      []int
}

func (e *ShapeError) Error() string {
	return fmt.Sprintf("%s: tensor %q has shape %v, but the config needs %v", e.File, e.Key, e.Got, e.Expected)
}

func shapeEq(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
