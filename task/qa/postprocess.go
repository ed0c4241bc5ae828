package qa

import (
	"math"
	"sort"

	"github.com/medbert/medbert/tokenize"
)

// Prediction is one answer to a question. Start and End are code points
// into the context (End exclusive); Text is the context's substring there.
// An unanswerable prediction has Impossible set, Text "" and Start = End =
// 0.
type Prediction struct {
	Text       string  `json:"answer"`
	Start      int     `json:"start"`
	End        int     `json:"end"`
	Score      float64 `json:"score"` // probability: P(start)·P(end) within its window
	Logit      float64 `json:"-"`     // start + end logit, the ranking score
	Impossible bool    `json:"impossible,omitempty"`
}

// WindowLogits are the model outputs for one window.
type WindowLogits struct {
	Start, End []float32
}

// candidate is a span in one window.
type candidate struct {
	feat, s, e int
	logit      float64
	prob       float64
}

// Postprocess turns the windows of one example (feats and their logits,
// in window order) into its n-best answers, best first, as HF's run_qa
// post-processing: in each window the NBest highest start and end logits
// among the context tokens are paired; pairs with end < start or longer
// than MaxAnswerLength tokens are dropped; spans are ranked by start +
// end logit across all windows, the same text span counted once. With
// AllowImpossible the null answer ([CLS], the smallest start + end logit
// at position 0 over the windows) wins when it beats the best span by more
// than NullScoreDiffThreshold; it is then first in the list. A question
// without any valid span is unanswerable.
func Postprocess(context string, feats []Feature, logits []WindowLogits, opt Options) []Prediction {
	opt = opt.withDefaults()
	var cands []candidate
	minNull, nullProb := math.Inf(1), 0.0
	for k, f := range feats {
		sl, el := logits[k].Start[:len(f.IDs)], logits[k].End[:len(f.IDs)]
		ps, pe := windowProbs(sl, f.Context), windowProbs(el, f.Context)
		if null := float64(sl[0]) + float64(el[0]); null < minNull {
			minNull, nullProb = null, ps[0]*pe[0]
		}
		starts, ends := topContext(sl, f.Context, opt.NBest), topContext(el, f.Context, opt.NBest)
		for _, s := range starts {
			for _, e := range ends {
				if e < s || e-s+1 > opt.MaxAnswerLength {
					continue
				}
				cands = append(cands, candidate{k, s, e, float64(sl[s]) + float64(el[e]), ps[s] * pe[e]})
			}
		}
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].logit > cands[j].logit })
	var out []Prediction
	seen := map[[2]int]bool{}
	var spans [][2]int
	for _, c := range cands {
		f := feats[c.feat]
		sp := [2]int{f.Offsets[c.s][0], f.Offsets[c.e][1]}
		if seen[sp] {
			continue
		}
		seen[sp] = true
		spans = append(spans, sp)
		out = append(out, Prediction{Text: context[sp[0]:sp[1]], Logit: c.logit, Score: c.prob})
		if len(out) == opt.NBest {
			break
		}
	}
	chars := tokenize.RuneOffsets(context, spans)
	for i := range out {
		out[i].Start, out[i].End = chars[i][0], chars[i][1]
	}
	null := Prediction{Impossible: true, Logit: minNull, Score: nullProb}
	switch {
	case len(out) == 0:
		return []Prediction{null}
	case opt.AllowImpossible && minNull > out[0].Logit+opt.NullScoreDiffThreshold:
		return append([]Prediction{null}, out...)
	}
	return out
}

// windowProbs is the softmax of logits over the positions an answer may
// take: [CLS] (the null answer) and the context tokens, as HF's pipeline
// masks the question and the separators.
func windowProbs(logits []float32, context []bool) []float64 {
	mx := float64(logits[0])
	for j, v := range logits {
		if context[j] {
			mx = math.Max(mx, float64(v))
		}
	}
	p := make([]float64, len(logits))
	var sum float64
	for j, v := range logits {
		if j == 0 || context[j] {
			p[j] = math.Exp(float64(v) - mx)
			sum += p[j]
		}
	}
	for j := range p {
		p[j] /= sum
	}
	return p
}

// topContext returns the positions of the n highest logits among the
// context tokens, highest first (ties: earlier position first).
func topContext(logits []float32, context []bool, n int) []int {
	var idx []int
	for j, c := range context {
		if c {
			idx = append(idx, j)
		}
	}
	sort.SliceStable(idx, func(a, b int) bool { return logits[idx[a]] > logits[idx[b]] })
	if len(idx) > n {
		idx = idx[:n]
	}
	return idx
}
