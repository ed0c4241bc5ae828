package metrics

import (
	"fmt"
	"sort"
	"strings"
	"unicode"
)

// SQuADVersion selects the official evaluation script whose semantics
// SQuAD follows. They differ only where an answer normalises to nothing:
// v2.0 drops gold answers that normalise to "" (a question left with none
// is unanswerable, and only an empty prediction is right), and scores F1 1
// when prediction and gold are both empty; v1.1 scores that F1 0 and
// needs a gold answer for every question.
type SQuADVersion int

// The two official scripts: evaluate-v1.1.py and evaluate-v2.0.py.
const (
	SQuADv1 SQuADVersion = 1
	SQuADv2 SQuADVersion = 2
)

// squadPunct is Python's string.punctuation, which the official scripts
// remove (ASCII only; "—" or "’" stay).
const squadPunct = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"

// isPySpace is Python's str.isspace: Go's unicode.IsSpace plus the
// information separators U+001C..U+001F.
func isPySpace(r rune) bool { return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f) }

// isPyWord is a character of Python's Unicode \w: a letter, a number or '_'.
func isPyWord(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) || r == '_' }

func isCased(r rune) bool { return unicode.IsUpper(r) || unicode.IsLower(r) || unicode.IsTitle(r) }

// pyLower is Python's str.lower where it differs from strings.ToLower in
// ways that occur in text: İ becomes "i̇" (i + combining dot), and a
// capital sigma that ends a word (a cased letter before it, none after,
// skipping combining marks) becomes final ς.
func pyLower(s string) string {
	if !strings.ContainsAny(s, "İΣ") {
		return strings.ToLower(s)
	}
	rs := []rune(s)
	var b strings.Builder
	for i, r := range rs {
		switch r {
		case 'İ':
			b.WriteString("i\u0307")
			continue
		case 'Σ':
			before, after := false, false
			for j := i - 1; j >= 0; j-- {
				if !unicode.Is(unicode.Mn, rs[j]) {
					before = isCased(rs[j])
					break
				}
			}
			for j := i + 1; j < len(rs); j++ {
				if !unicode.Is(unicode.Mn, rs[j]) {
					after = isCased(rs[j])
					break
				}
			}
			if before && !after {
				b.WriteRune('ς')
				continue
			}
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// NormalizeAnswer is the official SQuAD normalize_answer: lower-case,
// remove ASCII punctuation, remove the articles a, an, the (whole words,
// with Python's Unicode word boundaries), and collapse whitespace.
func NormalizeAnswer(s string) string {
	s = pyLower(s)
	s = strings.Map(func(r rune) rune {
		if r < 0x80 && strings.ContainsRune(squadPunct, r) {
			return -1
		}
		return r
	}, s)
	// re.sub(r'\b(a|an|the)\b', ' ', s): a match is a maximal run of word
	// characters that is exactly one of the articles.
	var b strings.Builder
	rs := []rune(s)
	for i := 0; i < len(rs); {
		if !isPyWord(rs[i]) {
			b.WriteRune(rs[i])
			i++
			continue
		}
		j := i
		for j < len(rs) && isPyWord(rs[j]) {
			j++
		}
		switch w := string(rs[i:j]); w {
		case "a", "an", "the":
			b.WriteByte(' ')
		default:
			b.WriteString(w)
		}
		i = j
	}
	return strings.Join(strings.FieldsFunc(b.String(), isPySpace), " ")
}

// answerTokens is get_tokens: the normalised answer split on spaces.
func answerTokens(s string) []string {
	if n := NormalizeAnswer(s); n != "" {
		return strings.Split(n, " ")
	}
	return nil
}

// ExactMatch reports whether prediction and gold answer are equal after
// NormalizeAnswer (the same in v1.1 and v2.0).
func ExactMatch(pred, gold string) bool { return NormalizeAnswer(pred) == NormalizeAnswer(gold) }

// AnswerF1 is the token-overlap F1 of the official scripts: tokens of the
// normalised answers, overlap counted with multiplicity. With v2 semantics
// an empty side scores 1 if both are empty and 0 otherwise; with v1 any
// empty side scores 0.
func AnswerF1(pred, gold string, v SQuADVersion) float64 {
	p, g := answerTokens(pred), answerTokens(gold)
	if len(p) == 0 || len(g) == 0 {
		if v == SQuADv2 && len(p) == 0 && len(g) == 0 {
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
	precision := float64(same) / float64(len(p))
	recall := float64(same) / float64(len(g))
	return 2 * precision * recall / (precision + recall)
}

// QAPrediction is one question's gold answers and predicted answer text.
type QAPrediction struct {
	// Gold holds the gold answer texts; none means unanswerable (SQuAD
	// v2.0's empty "answers" list).
	Gold []string `json:"gold"`
	// Pred is the predicted answer text; "" means "no answer".
	Pred string `json:"prediction"`
}

// QAScores is exact match and F1 averaged over Total questions, as
// fractions in [0, 1] (the official scripts print them ×100).
type QAScores struct {
	ExactMatch float64 `json:"exact_match"`
	F1         float64 `json:"f1"`
	Total      int     `json:"total"`
}

// SQuADResult is the official scripts' output: overall scores and, for
// v2, the HasAns / NoAns breakdown (nil when there are no such questions,
// as the script then omits the keys).
type SQuADResult struct {
	Version int `json:"version"`
	QAScores
	HasAns *QAScores `json:"has_ans,omitempty"`
	NoAns  *QAScores `json:"no_ans,omitempty"`
}

// QuestionScores returns one question's exact match (0 or 1) and F1, the
// maxima over its gold answers, as the official scripts compute them.
func QuestionScores(q QAPrediction, v SQuADVersion) (em, f1 float64, err error) {
	gold := q.Gold
	switch v {
	case SQuADv1:
		if len(gold) == 0 {
			return 0, 0, fmt.Errorf("metrics: SQuAD v1.1 needs a gold answer for every question")
		}
	case SQuADv2:
		gold = nil
		for _, a := range q.Gold {
			if NormalizeAnswer(a) != "" {
				gold = append(gold, a)
			}
		}
		if len(gold) == 0 {
			gold = []string{""} // unanswerable: only "" is right
		}
	default:
		return 0, 0, fmt.Errorf("metrics: unknown SQuAD version %d", v)
	}
	for _, a := range gold {
		if ExactMatch(q.Pred, a) {
			em = 1
		}
		f1 = max(f1, AnswerF1(q.Pred, a, v))
	}
	return em, f1, nil
}

// SQuAD scores predictions as the official evaluation script of version v
// does. A question is HasAns when its Gold list is non-empty (v2 only).
func SQuAD(preds []QAPrediction, v SQuADVersion) (SQuADResult, error) {
	res := SQuADResult{Version: int(v)}
	var has, no QAScores
	for i, q := range preds {
		em, f1, err := QuestionScores(q, v)
		if err != nil {
			return SQuADResult{}, fmt.Errorf("question %d: %w", i, err)
		}
		res.ExactMatch += em
		res.F1 += f1
		res.Total++
		part := &no
		if len(q.Gold) > 0 {
			part = &has
		}
		part.ExactMatch += em
		part.F1 += f1
		part.Total++
	}
	for _, s := range []*QAScores{&res.QAScores, &has, &no} {
		if s.Total > 0 {
			s.ExactMatch /= float64(s.Total)
			s.F1 /= float64(s.Total)
		}
	}
	if v == SQuADv2 {
		if has.Total > 0 {
			res.HasAns = &has
		}
		if no.Total > 0 {
			res.NoAns = &no
		}
	}
	return res, nil
}

// NoAnswerThreshold is the outcome of BestNoAnswerThreshold: the best
// exact match and F1 reachable by answering only questions whose
// no-answer probability is at most the threshold, and those thresholds.
type NoAnswerThreshold struct {
	BestExactMatch      float64 `json:"best_exact_match"`
	ExactMatchThreshold float64 `json:"best_exact_match_threshold"`
	BestF1              float64 `json:"best_f1"`
	F1Threshold         float64 `json:"best_f1_threshold"`
}

// BestNoAnswerThreshold is the SQuAD v2.0 script's find_all_best_thresh:
// naProb[i] is the model's probability that question i has no answer.
// Starting from "abstain everywhere" (threshold 0), questions are taken in
// ascending naProb (ties in input order); answering one adds its score if
// it is answerable, and costs 1 if it is not and the prediction is
// non-empty. The best running total and the naProb where it was reached
// are reported, as fractions of all questions.
func BestNoAnswerThreshold(preds []QAPrediction, naProb []float64) (NoAnswerThreshold, error) {
	if len(preds) != len(naProb) {
		return NoAnswerThreshold{}, fmt.Errorf("metrics: %d questions but %d no-answer probabilities", len(preds), len(naProb))
	}
	if len(preds) == 0 {
		return NoAnswerThreshold{}, fmt.Errorf("metrics: no questions")
	}
	em := make([]float64, len(preds))
	f1 := make([]float64, len(preds))
	noAns := 0
	order := make([]int, len(preds))
	for i, q := range preds {
		var err error
		if em[i], f1[i], err = QuestionScores(q, SQuADv2); err != nil {
			return NoAnswerThreshold{}, fmt.Errorf("question %d: %w", i, err)
		}
		if len(q.Gold) == 0 {
			noAns++
		}
		if naProb[i] != naProb[i] {
			return NoAnswerThreshold{}, fmt.Errorf("metrics: no-answer probability of question %d is NaN", i)
		}
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return naProb[order[a]] < naProb[order[b]] })
	best := func(scores []float64) (float64, float64) {
		cur := float64(noAns)
		top, thr := cur, 0.0
		for _, i := range order {
			switch {
			case len(preds[i].Gold) > 0:
				cur += scores[i]
			case preds[i].Pred != "":
				cur--
			}
			if cur > top {
				top, thr = cur, naProb[i]
			}
		}
		return top / float64(len(preds)), thr
	}
	var out NoAnswerThreshold
	out.BestExactMatch, out.ExactMatchThreshold = best(em)
	out.BestF1, out.F1Threshold = best(f1)
	return out, nil
}
