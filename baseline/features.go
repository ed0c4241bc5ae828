package baseline

import (
	"math"
	"slices"
	"sort"
	"strings"
	"unicode"
)

// words lowercases text and returns its tokens: runs of letters and digits
// of at least two characters, like scikit-learn's default token_pattern
// (?u)\b\w\w+\b (without the underscore).
func words(text string) []string {
	var out []string
	fields := strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsNumber(r)
	})
	for _, f := range fields {
		if len([]rune(f)) >= 2 {
			out = append(out, f)
		}
	}
	return out
}

// terms returns the n-grams (n = 1..maxN) of a text with their counts.
// Bigrams join their words with a space.
func terms(text string, maxN int) map[string]int {
	w := words(text)
	out := make(map[string]int, 2*len(w))
	for n := 1; n <= maxN; n++ {
		for i := 0; i+n <= len(w); i++ {
			out[strings.Join(w[i:i+n], " ")]++
		}
	}
	return out
}

// sparse is one document's feature vector: ascending indices and values.
type sparse struct {
	idx []int32
	val []float64
}

// vectorizer maps texts to L2-normalised TF-IDF vectors over a fixed
// vocabulary: tf = 1 + ln(count) (sublinear), idf = ln((1+n)/(1+df)) + 1
// (scikit-learn's smooth idf).
type vectorizer struct {
	MaxN  int
	Vocab map[string]int32
	Terms []string // Terms[i] is feature i
	IDF   []float64
}

// fitVectorizer keeps terms that occur in at least minDF training
// documents; feature ids follow the sorted term order, so the model does
// not depend on map iteration.
func fitVectorizer(texts []string, maxN, minDF int) *vectorizer {
	df := map[string]int{}
	for _, t := range texts {
		for term := range terms(t, maxN) {
			df[term]++
		}
	}
	var kept []string
	for term, n := range df {
		if n >= minDF {
			kept = append(kept, term)
		}
	}
	sort.Strings(kept)
	v := &vectorizer{MaxN: maxN, Vocab: make(map[string]int32, len(kept)), Terms: kept, IDF: make([]float64, len(kept))}
	n := float64(len(texts))
	for i, term := range kept {
		v.Vocab[term] = int32(i)
		v.IDF[i] = math.Log((1+n)/(1+float64(df[term]))) + 1
	}
	return v
}

func (v *vectorizer) transform(text string) sparse {
	counts := terms(text, v.MaxN)
	var s sparse
	for term := range counts {
		if i, ok := v.Vocab[term]; ok {
			s.idx = append(s.idx, i)
		}
	}
	slices.Sort(s.idx) // fixed order: the norm's sum must not depend on map order
	s.val = make([]float64, len(s.idx))
	var norm float64
	for k, i := range s.idx {
		x := (1 + math.Log(float64(counts[v.Terms[i]]))) * v.IDF[i]
		s.val[k] = x
		norm += x * x
	}
	if norm > 0 {
		norm = math.Sqrt(norm)
		for k := range s.val {
			s.val[k] /= norm
		}
	}
	return s
}
