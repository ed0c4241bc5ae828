package metrics

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// Entity is one labelled span of a tag sequence: tokens [Start, End) have
// type Type ("Disease" for B-Disease I-Disease).
type Entity struct {
	Type  string `json:"type"`
	Start int    `json:"start"`
	End   int    `json:"end"` // exclusive (seqeval reports the inclusive end)
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

// validDefaultTag is seqeval's _validate_chunk: O, a bare B/I/E/S, or one
// of them followed by '-' and a type.
func validDefaultTag(t string) bool {
	switch t {
	case "O", "B", "I", "E", "S":
		return true
	}
	return len(t) >= 2 && t[1] == '-' && strings.IndexByte("BIES", t[0]) >= 0
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
// default-mode rules (get_entities). The rules are lenient and read every
// scheme (IOB1, IOB2/BIO, IOE, IOBES) at once: an I- (or E-) after O or
// after a different type starts an entity, B- and S- always start one, and
// an entity ends before O, B-, S-, a type change, or after E-/S-.
// Tags are not validated here; EntityScores does that.
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

// EntityOptions selects how entities are read from tags.
type EntityOptions struct {
	// Strict is seqeval's mode="strict": only chunks well formed under
	// Scheme count (for IOB2, an entity must start with B-; a lone I- is
	// dropped, not an entity). False is seqeval's default mode (Entities).
	Strict bool
	// Scheme is required when Strict and ignored otherwise (default mode
	// reads any mix of B-, I-, E-, S- tags).
	Scheme Scheme
}

// EntityTypeScores is one entity type's row of an EntityResult.
type EntityTypeScores struct {
	Type string `json:"type"`
	ClassScores
	Predicted int `json:"predicted"` // predicted entities of this type
	Correct   int `json:"correct"`   // of which exact matches (type, start, end)
}

// EntityResult is entity-level precision/recall/F1 (seqeval
// classification_report) plus token accuracy (seqeval accuracy_score):
// an entity counts as correct only if type, start and end all match.
// Averages run over the sorted union of types found on either side; when
// there are none, all scores are 0 (seqeval would return NaN).
type EntityResult struct {
	Mode          string             `json:"mode"`             // "default" or "strict"
	Scheme        string             `json:"scheme,omitempty"` // strict mode only
	Types         []string           `json:"-"`                // entity types, sorted; PerType[i].Type
	PerType       []EntityTypeScores `json:"per_type"`         // Support = true entities
	Micro         Scores             `json:"micro"`            // seqeval's default f1_score is the micro F1
	Macro         Scores             `json:"macro"`
	Weighted      Scores             `json:"weighted"`
	TrueEntities  int                `json:"true_entities"`
	PredEntities  int                `json:"pred_entities"`
	Correct       int                `json:"correct_entities"`
	TokenAccuracy float64            `json:"token_accuracy"` // fraction of tags equal; 0 with no tokens
	Tokens        int                `json:"tokens"`
	Undefined     []string           `json:"undefined,omitempty"`
}

// EntityScores is EntityScoresWith in seqeval's default (lenient) mode.
func EntityScores(yTrue, yPred [][]string) (EntityResult, error) {
	return EntityScoresWith(yTrue, yPred, EntityOptions{})
}

// EntityScoresWith compares true and predicted tag sequences sentence by
// sentence. Sentences must have equal lengths on both sides; entities never
// cross a sentence boundary. An invalid tag (in default mode anything but
// O, B, I, E, S with an optional "-type"; in strict mode a prefix the
// scheme does not allow) is an error naming its sentence and position, as
// seqeval raises ValueError.
func EntityScoresWith(yTrue, yPred [][]string, opt EntityOptions) (EntityResult, error) {
	if len(yTrue) != len(yPred) {
		return EntityResult{}, fmt.Errorf("metrics: %d true sentences but %d predicted", len(yTrue), len(yPred))
	}
	res := EntityResult{Mode: "default"}
	if opt.Strict {
		if _, ok := schemes[opt.Scheme]; !ok {
			return EntityResult{}, fmt.Errorf("metrics: strict entity mode needs a scheme (IOB1, IOB2, IOE1, IOE2, IOBES, BILOU)")
		}
		res.Mode, res.Scheme = "strict", opt.Scheme.String()
	}
	correctTokens := 0
	for s := range yTrue {
		if len(yTrue[s]) != len(yPred[s]) {
			return EntityResult{}, fmt.Errorf("metrics: sentence %d has %d true tags but %d predicted", s, len(yTrue[s]), len(yPred[s]))
		}
		for i := range yTrue[s] {
			if yTrue[s][i] == yPred[s][i] {
				correctTokens++
			}
		}
		res.Tokens += len(yTrue[s])
	}
	if res.Tokens > 0 {
		res.TokenAccuracy = float64(correctTokens) / float64(res.Tokens)
	}
	trueEnts, err := sentenceEntities(yTrue, opt, "true")
	if err != nil {
		return EntityResult{}, err
	}
	predEnts, err := sentenceEntities(yPred, opt, "predicted")
	if err != nil {
		return EntityResult{}, err
	}
	trueSet := map[Entity]bool{}
	typeIdx := map[string]int{}
	for _, e := range trueEnts {
		trueSet[e] = true
		typeIdx[e.Type] = 0
	}
	predSet := map[Entity]bool{}
	for _, e := range predEnts {
		predSet[e] = true
		typeIdx[e.Type] = 0
	}
	for t := range typeIdx {
		res.Types = append(res.Types, t)
	}
	sort.Strings(res.Types)
	for i, t := range res.Types {
		typeIdx[t] = i
	}
	k := len(res.Types)
	c := counts{make([]int, k), make([]int, k), make([]int, k)}
	for e := range trueSet {
		c.actual[typeIdx[e.Type]]++
	}
	for e := range predSet {
		i := typeIdx[e.Type]
		c.pred[i]++
		if trueSet[e] {
			c.tp[i]++
		}
	}
	prf := prfFromCounts(c, seq(k), func(i int) string { return "entity type " + res.Types[i] })
	for i, t := range res.Types {
		res.PerType = append(res.PerType, EntityTypeScores{Type: t, ClassScores: prf.PerClass[i], Predicted: c.pred[i], Correct: c.tp[i]})
		res.TrueEntities += c.actual[i]
		res.PredEntities += c.pred[i]
		res.Correct += c.tp[i]
	}
	res.Micro, res.Macro, res.Weighted, res.Undefined = prf.Micro, prf.Macro, prf.Weighted, prf.Undefined
	return res, nil
}

// sentenceEntities extracts the entities of every sentence, offsetting
// positions so that sentence s's tokens follow sentence s-1's plus one (the
// "O" seqeval puts between joined sentences): the entities of different
// sentences never compare equal.
func sentenceEntities(sents [][]string, opt EntityOptions, side string) ([]Entity, error) {
	var out []Entity
	off := 0
	for s, tags := range sents {
		var ents []Entity
		if opt.Strict {
			var err error
			if ents, err = StrictEntities(tags, opt.Scheme); err != nil {
				return nil, fmt.Errorf("metrics: %s sentence %d: %w", side, s, err)
			}
		} else {
			for i, t := range tags {
				if !validDefaultTag(t) {
					return nil, fmt.Errorf("metrics: %s sentence %d token %d: invalid tag %q (want O, or B, I, E, S with an optional -type)", side, s, i, t)
				}
			}
			ents = Entities(tags)
		}
		for _, e := range ents {
			e.Start += off
			e.End += off
			out = append(out, e)
		}
		off += len(tags) + 1
	}
	return out, nil
}

// WriteText prints the result like seqeval's classification_report: one
// row per entity type, then micro, macro and weighted averages, then the
// token accuracy.
func (r EntityResult) WriteText(w io.Writer) error {
	var b strings.Builder
	width := len("weighted avg")
	for _, t := range r.Types {
		width = max(width, len([]rune(t)))
	}
	row := func(name string, s Scores, support int) {
		fmt.Fprintf(&b, "%*s  %9.4f %9.4f %9.4f %9d\n", width, name, s.Precision, s.Recall, s.F1, support)
	}
	mode := r.Mode
	if r.Scheme != "" {
		mode += " " + r.Scheme
	}
	fmt.Fprintf(&b, "entity-level scores (seqeval %s mode)\n", mode)
	fmt.Fprintf(&b, "%*s  %9s %9s %9s %9s\n", width, "", "precision", "recall", "f1", "support")
	for _, t := range r.PerType {
		row(t.Type, t.Scores, t.Support)
	}
	b.WriteString("\n")
	row("micro avg", r.Micro, r.TrueEntities)
	row("macro avg", r.Macro, r.TrueEntities)
	row("weighted avg", r.Weighted, r.TrueEntities)
	fmt.Fprintf(&b, "\ntoken accuracy %.4f (%d tokens); %d of %d predicted entities correct\n", r.TokenAccuracy, r.Tokens, r.Correct, r.PredEntities)
	for _, u := range r.Undefined {
		fmt.Fprintf(&b, "note: %s\n", u)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
