package metrics

import (
	"fmt"
	"sort"
	"strings"
)

// Entity is one labelled span of a tag sequence: tokens [Start, End) have
// type Type ("Disease" for B-Disease I-Disease).
type Entity struct {
	Type       string
	Start, End int // End is exclusive (seqeval reports the inclusive end)
}

// splitTag splits a tag as seqeval does in its default (prefix) mode: the
// first character is the chunk tag (B, I, O, E, S), the rest after the
// first '-' is the type; a missing type becomes "_".
func splitTag(t string) (tag byte, typ string) {
	if t == "" {
		return 'O', "_"
	}
	tag = t[0]
	rest := t[1:]
	if i := strings.IndexByte(rest, '-'); i >= 0 {
		rest = rest[i+1:]
	}
	if rest == "" {
		rest = "_"
	}
	return tag, rest
}

// endOfChunk and startOfChunk are seqeval.metrics.sequence_labeling's
// end_of_chunk / start_of_chunk (default mode). Together they make an I-
// after O (or after a different type) start a new entity, and an entity end
// at O, B, S, or a type change.
func endOfChunk(prevTag, tag byte, prevType, typ string) bool {
	switch {
	case prevTag == 'E', prevTag == 'S':
		return true
	case prevTag == 'B' && (tag == 'B' || tag == 'S' || tag == 'O'):
		return true
	case prevTag == 'I' && (tag == 'B' || tag == 'S' || tag == 'O'):
		return true
	case prevTag != 'O' && prevTag != '.' && prevType != typ:
		return true
	}
	return false
}

func startOfChunk(prevTag, tag byte, prevType, typ string) bool {
	switch {
	case tag == 'B', tag == 'S':
		return true
	case (prevTag == 'E' || prevTag == 'S' || prevTag == 'O') && (tag == 'E' || tag == 'I'):
		return true
	case tag != 'O' && tag != '.' && prevType != typ:
		return true
	}
	return false
}

// Entities extracts the entities of one tag sequence with seqeval's
// default-mode rules (get_entities).
func Entities(tags []string) []Entity {
	var out []Entity
	prevTag, prevType := byte('O'), "" // seqeval starts with prev_type ''
	begin := 0
	for i := 0; i <= len(tags); i++ {
		tag, typ := byte('O'), "_" // the sentinel "O" after the last token
		if i < len(tags) {
			tag, typ = splitTag(tags[i])
		}
		if endOfChunk(prevTag, tag, prevType, typ) {
			out = append(out, Entity{Type: prevType, Start: begin, End: i})
		}
		if startOfChunk(prevTag, tag, prevType, typ) {
			begin = i
		}
		prevTag, prevType = tag, typ
	}
	return out
}

// EntityResult is entity-level precision/recall/F1 (seqeval
// classification_report): an entity counts as correct only if type, start
// and end all match.
type EntityResult struct {
	Types     []string      // entity types, sorted
	PerType   []ClassScores // PerType[i] belongs to Types[i]; Support = true entities
	Micro     Scores        // seqeval's default f1_score is the micro F1
	Macro     Scores
	Weighted  Scores
	Undefined []string
}

// EntityScores compares true and predicted BIO tag sequences sentence by
// sentence. Sentences must have equal lengths on both sides. As in seqeval,
// sentences are joined with an "O" between them, so entities never cross a
// sentence boundary.
func EntityScores(yTrue, yPred [][]string) (EntityResult, error) {
	if len(yTrue) != len(yPred) {
		return EntityResult{}, fmt.Errorf("metrics: %d true sentences but %d predicted", len(yTrue), len(yPred))
	}
	type key struct {
		typ        string
		start, end int
	}
	trueSet := map[key]bool{}
	typeIdx := map[string]int{}
	var types []string
	addType := func(t string) {
		if _, ok := typeIdx[t]; !ok {
			typeIdx[t] = 0
			types = append(types, t)
		}
	}
	for s := range yTrue {
		if len(yTrue[s]) != len(yPred[s]) {
			return EntityResult{}, fmt.Errorf("metrics: sentence %d has %d true tags but %d predicted", s, len(yTrue[s]), len(yPred[s]))
		}
	}
	for _, e := range Entities(flatten(yTrue)) {
		trueSet[key{e.Type, e.Start, e.End}] = true
		addType(e.Type)
	}
	var predKeys []key
	for _, e := range Entities(flatten(yPred)) {
		predKeys = append(predKeys, key{e.Type, e.Start, e.End})
		addType(e.Type)
	}
	sort.Strings(types)
	for i, t := range types {
		typeIdx[t] = i
	}
	c := counts{make([]int, len(types)), make([]int, len(types)), make([]int, len(types))}
	for k := range trueSet {
		c.actual[typeIdx[k.typ]]++
	}
	for _, k := range predKeys {
		i := typeIdx[k.typ]
		c.pred[i]++
		if trueSet[k] {
			c.tp[i]++
		}
	}
	labels := make([]int, len(types))
	for i := range labels {
		labels[i] = i
	}
	prf := prfFromCounts(c, labels, func(i int) string { return "entity type " + types[i] })
	return EntityResult{
		Types: types, PerType: prf.PerClass,
		Micro: prf.Micro, Macro: prf.Macro, Weighted: prf.Weighted,
		Undefined: prf.Undefined,
	}, nil
}

// flatten joins sentences with an "O" after each, as seqeval does.
func flatten(sents [][]string) []string {
	var out []string
	for _, s := range sents {
		out = append(out, s...)
		out = append(out, "O")
	}
	return out
}
