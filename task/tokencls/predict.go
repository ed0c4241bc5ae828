package tokencls

import (
	"context"
	"fmt"
	"strings"

	"github.com/medbert/medbert/bert"
	"github.com/medbert/medbert/tokenize"
)

// Aggregation says how piece predictions become words (HF token
// classification pipeline's aggregation_strategy).
type Aggregation string

const (
	// AggregateNone reports every piece whose label is not O, typed with
	// its full tag (B-Disease), without merging pieces or words.
	AggregateNone Aggregation = "none"
	// AggregateFirst gives a word the label of its first piece.
	AggregateFirst Aggregation = "first"
	// AggregateAverage averages the piece probabilities of a word.
	AggregateAverage Aggregation = "average"
	// AggregateMax takes the piece with the highest probability.
	AggregateMax Aggregation = "max"
)

// ParseAggregation checks an aggregation name ("" is first: words are
// labelled by their first piece in training).
func ParseAggregation(s string) (Aggregation, error) {
	switch a := Aggregation(strings.ToLower(s)); a {
	case "":
		return AggregateFirst, nil
	case AggregateNone, AggregateFirst, AggregateAverage, AggregateMax:
		return a, nil
	}
	return "", fmt.Errorf("unknown aggregation %q (want none, first, average or max)", s)
}

// Entity is one predicted entity in a text. Start and End are code-point
// offsets into the text (End exclusive, Python slicing), so Text is the
// exact original substring, accents and odd whitespace included.
type Entity struct {
	Type  string  `json:"type"`
	Start int     `json:"start"`
	End   int     `json:"end"`
	Text  string  `json:"text"`
	Score float64 `json:"score"` // mean probability of the entity's words (pieces for none)
}

// Predictor tags raw texts. It only reads the model, so one Predictor
// serves concurrent calls.
type Predictor struct {
	Model       *bert.Model
	Tokenizer   *tokenize.Tokenizer
	Options     Options
	Aggregation Aggregation // "" is first
}

// Predict returns the entities of one text.
func (p *Predictor) Predict(ctx context.Context, text string) ([]Entity, error) {
	out, err := p.PredictBatch(ctx, []string{text})
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// PredictBatch returns the entities of each text, in order. Texts longer
// than one window are split into overlapping windows and merged.
func (p *Predictor) PredictBatch(ctx context.Context, texts []string) ([][]Entity, error) {
	if p.Model.TokenCls == nil {
		return nil, fmt.Errorf("token classification needs a %s model, not %s", bert.ClassName(bert.HeadTokenCls), bert.ClassName(p.Model.Head))
	}
	agg, err := ParseAggregation(string(p.Aggregation))
	if err != nil {
		return nil, err
	}
	opt, err := p.Options.withDefaults()
	if err != nil {
		return nil, err
	}
	var feats []Feature
	for i, text := range texts {
		enc, err := encodeWindows(p.Tokenizer, text, opt)
		if err != nil {
			return nil, fmt.Errorf("text %d: %w", i, err)
		}
		for k, w := range enc.windows {
			f := Feature{IDs: w.IDs, TypeIDs: w.TypeIDs, Sentence: i, First: enc.firsts[k],
				Offsets: w.Offsets, Tokens: w.Tokens, Words: make([]int, w.Len())}
			for j := range f.Words {
				if w.SequenceIDs[j] != 0 {
					f.Words[j] = -1
				}
			}
			feats = append(feats, f)
		}
	}
	logits, err := runLogits(ctx, p.Model, p.Tokenizer.PadID(), feats, opt.BatchSize)
	if err != nil {
		return nil, err
	}
	names := p.Model.Config.Labels()
	prefix := p.Tokenizer.Settings().ContinuingSubwordPrefix
	out := make([][]Entity, len(texts))
	for lo := 0; lo < len(feats); {
		hi := lo
		for hi < len(feats) && feats[hi].Sentence == feats[lo].Sentence {
			hi++
		}
		i := feats[lo].Sentence
		toks := mergeWindows(feats[lo:hi], logits[lo:hi], len(names))
		out[i] = aggregate(texts[i], toks, names, prefix, agg)
		lo = hi
	}
	for i := range out {
		if out[i] == nil {
			out[i] = []Entity{}
		}
	}
	return out, nil
}

// span is a byte range of the text with a label and a score.
type span struct {
	start, end int
	label      string
	score      float64
}

// aggregate turns the merged tokens of one text into entities.
func aggregate(text string, toks []token, names []string, prefix string, agg Aggregation) []Entity {
	if agg == AggregateNone {
		var sp []span
		for _, tk := range toks {
			p := softmax(tk.logits)
			k := argmax(tk.logits)
			if names[k] != "O" {
				sp = append(sp, span{tk.start, tk.end, names[k], p[k]})
			}
		}
		return toEntities(text, sp)
	}
	words := wordsOf(toks, prefix)
	tags := make([]string, len(words))
	scores := make([]float64, len(words))
	for w, pieces := range words {
		p := wordProbs(pieces, agg)
		k := 0
		for i := range p {
			if p[i] > p[k] {
				k = i
			}
		}
		tags[w], scores[w] = names[k], p[k]
	}
	var sp []span
	for _, e := range entities(tags) {
		var s float64
		for w := e.Start; w < e.End; w++ {
			s += scores[w]
		}
		first, last := words[e.Start], words[e.End-1]
		sp = append(sp, span{first[0].start, last[len(last)-1].end, e.Type, s / float64(e.End-e.Start)})
	}
	return toEntities(text, sp)
}

// wordsOf groups tokens into words: a piece with the continuation prefix
// ("##") that touches the previous piece belongs to its word.
func wordsOf(toks []token, prefix string) [][]token {
	var words [][]token
	for i, tk := range toks {
		if i > 0 && prefix != "" && strings.HasPrefix(tk.piece, prefix) && toks[i-1].end == tk.start {
			words[len(words)-1] = append(words[len(words)-1], tk)
			continue
		}
		words = append(words, []token{tk})
	}
	return words
}

// wordProbs are the label probabilities of one word under agg.
func wordProbs(pieces []token, agg Aggregation) []float64 {
	switch agg {
	case AggregateAverage:
		var sum []float64
		for _, tk := range pieces {
			p := softmax(tk.logits)
			if sum == nil {
				sum = make([]float64, len(p))
			}
			for i, v := range p {
				sum[i] += v / float64(len(pieces))
			}
		}
		return sum
	case AggregateMax:
		var best []float64
		bestP := -1.0
		for _, tk := range pieces {
			p := softmax(tk.logits)
			if m := p[argmax(tk.logits)]; m > bestP {
				best, bestP = p, m
			}
		}
		return best
	}
	return softmax(pieces[0].logits)
}

// toEntities converts byte spans into entities with code-point offsets and
// the original text.
func toEntities(text string, sp []span) []Entity {
	offs := make([][2]int, len(sp))
	for i, s := range sp {
		offs[i] = [2]int{s.start, s.end}
	}
	chars := tokenize.RuneOffsets(text, offs)
	out := make([]Entity, len(sp))
	for i, s := range sp {
		out[i] = Entity{Type: s.label, Start: chars[i][0], End: chars[i][1], Text: text[s.start:s.end], Score: s.score}
	}
	return out
}
