package baseline

import (
	"errors"
	"sort"
	"strings"

	"github.com/medbert/medbert/data"
	"github.com/medbert/medbert/metrics"
)

// Dictionary is the NER baseline: the entity strings of a training set,
// matched in new text longest first, case-insensitively, on whole words.
// A fine-tuned tagger has to beat it to show it learned more than a list of
// names.
type Dictionary struct {
	// types maps a lowercased word sequence (words joined by one space) to
	// its entity type.
	types  map[string]string
	maxLen int // longest entry, in words
}

// BuildDictionary collects every entity (seqeval's reading of the BIO or
// IOBES tags) of the training sentences. A string labelled with several
// types keeps the most frequent one (ties: the type that sorts first).
func BuildDictionary(train []data.Sentence) *Dictionary {
	counts := map[string]map[string]int{}
	d := &Dictionary{types: map[string]string{}}
	for _, s := range train {
		for _, e := range metrics.Entities(s.Tags) {
			key := strings.ToLower(strings.Join(s.Tokens[e.Start:e.End], " "))
			if counts[key] == nil {
				counts[key] = map[string]int{}
			}
			counts[key][e.Type]++
			d.maxLen = max(d.maxLen, e.End-e.Start)
		}
	}
	for key, byType := range counts {
		types := make([]string, 0, len(byType))
		for t := range byType {
			types = append(types, t)
		}
		sort.Slice(types, func(i, j int) bool {
			if byType[types[i]] != byType[types[j]] {
				return byType[types[i]] > byType[types[j]]
			}
			return types[i] < types[j]
		})
		d.types[key] = types[0]
	}
	return d
}

// Len is the number of entries.
func (d *Dictionary) Len() int { return len(d.types) }

// Tag returns BIO tags for a sentence's words: from left to right, the
// longest run of words that is an entry (case-insensitively) becomes an
// entity and matching resumes after it.
func (d *Dictionary) Tag(words []string) []string {
	lower := make([]string, len(words))
	for i, w := range words {
		lower[i] = strings.ToLower(w)
	}
	tags := make([]string, len(words))
	for i := 0; i < len(words); {
		n, typ := 0, ""
		for k := min(d.maxLen, len(words)-i); k >= 1; k-- {
			if t, ok := d.types[strings.Join(lower[i:i+k], " ")]; ok {
				n, typ = k, t
				break
			}
		}
		if n == 0 {
			tags[i] = "O"
			i++
			continue
		}
		tags[i] = "B-" + typ
		for j := i + 1; j < i+n; j++ {
			tags[j] = "I-" + typ
		}
		i += n
	}
	return tags
}

// NERResult is the dictionary baseline's evaluation, with the entity
// metric the fine-tuned tagger reports.
type NERResult struct {
	Dictionary *Dictionary
	Entities   metrics.EntityResult
	Accuracy   float64 // fraction of words tagged right
	Pred       [][]string
}

// EvaluateDictionary builds the dictionary from train and scores its tags
// on eval (entity-level P/R/F1, seqeval default mode).
func EvaluateDictionary(train, eval []data.Sentence) (*NERResult, error) {
	if len(eval) == 0 {
		return nil, errors.New("no sentences to evaluate")
	}
	d := BuildDictionary(train)
	r := &NERResult{Dictionary: d, Pred: make([][]string, len(eval))}
	gold := make([][]string, len(eval))
	var right, words int
	for i, s := range eval {
		if s.Tags == nil {
			return nil, errors.New(s.Pos.String() + ": sentence has no tags to evaluate against")
		}
		gold[i], r.Pred[i] = s.Tags, d.Tag(s.Tokens)
		for j, t := range s.Tags {
			if r.Pred[i][j] == t {
				right++
			}
		}
		words += len(s.Tags)
	}
	r.Accuracy = float64(right) / float64(max(words, 1))
	var err error
	r.Entities, err = metrics.EntityScores(gold, r.Pred)
	return r, err
}
