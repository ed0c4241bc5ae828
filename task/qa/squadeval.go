package qa

import (
	"strings"
	"unicode"
)

// SQuAD's official evaluation (evaluate-v2.0.py), kept local until the
// metrics package has it: exact match and token F1 after normalising both
// texts, the best over the gold answers; an unanswerable question's only
// gold answer is "".

// normalizeAnswer lowercases, removes ASCII punctuation (Python's
// string.punctuation), removes the articles a/an/the as whole words and
// collapses whitespace.
func normalizeAnswer(s string) string {
	s = strings.ToLower(s)
	s = strings.Map(func(r rune) rune {
		if r < 128 && strings.ContainsRune("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", r) {
			return -1
		}
		return r
	}, s)
	// \b(a|an|the)\b with Python's Unicode \w (letters, digits, underscore).
	word := func(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) || r == '_' }
	rs := []rune(s)
	var b strings.Builder
	for i := 0; i < len(rs); {
		if !word(rs[i]) {
			b.WriteRune(rs[i])
			i++
			continue
		}
		j := i
		for j < len(rs) && word(rs[j]) {
			j++
		}
		if w := string(rs[i:j]); w == "a" || w == "an" || w == "the" {
			b.WriteByte(' ')
		} else {
			b.WriteString(w)
		}
		i = j
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// exactMatch is 1 when the normalised texts are equal.
func exactMatch(gold, pred string) float64 {
	if normalizeAnswer(gold) == normalizeAnswer(pred) {
		return 1
	}
	return 0
}

// tokenF1 is the F1 of the normalised tokens' multiset overlap; when
// either side is empty it is 1 if both are, else 0.
func tokenF1(gold, pred string) float64 {
	g, p := strings.Fields(normalizeAnswer(gold)), strings.Fields(normalizeAnswer(pred))
	if len(g) == 0 || len(p) == 0 {
		if len(g) == len(p) {
			return 1
		}
		return 0
	}
	count := map[string]int{}
	for _, t := range g {
		count[t]++
	}
	same := 0
	for _, t := range p {
		if count[t] > 0 {
			count[t]--
			same++
		}
	}
	if same == 0 {
		return 0
	}
	prec, rec := float64(same)/float64(len(p)), float64(same)/float64(len(g))
	return 2 * prec * rec / (prec + rec)
}

// scoreAnswer is the best exact match and F1 of pred over the gold
// answers ("" when there are none).
func scoreAnswer(golds []Answer, pred string) (em, f1 float64) {
	if len(golds) == 0 {
		return exactMatch("", pred), tokenF1("", pred)
	}
	for _, g := range golds {
		em = max(em, exactMatch(g.Text, pred))
		f1 = max(f1, tokenF1(g.Text, pred))
	}
	return em, f1
}
