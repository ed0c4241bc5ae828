package qa

import (
	"context"
	"errors"
	"math"

	"github.com/medbert/medbert/bert"
	"github.com/medbert/medbert/tokenize"
)

// Scores are SQuAD exact match and F1 (fractions in [0, 1]) over Count
// questions.
type Scores struct {
	Count      int     `json:"count"`
	ExactMatch float64 `json:"exact_match"`
	F1         float64 `json:"f1"`
}

// Report is an evaluation of question answering on labelled examples.
type Report struct {
	// Loss is the mean over windows of the head's loss (start and end
	// cross-entropy averaged), as in training.
	Loss float64
	// All scores every question; HasAns and NoAns split answerable and
	// unanswerable ones (SQuAD v2's HasAns_/NoAns_ numbers).
	All, HasAns, NoAns Scores
	// Predictions are the best answers, one per example.
	Predictions []Prediction
}

// MetricNames are the names Metrics can produce (the has_ans/no_ans pairs
// only with SQuAD v2.0 unanswerable questions), for checking
// --metric-for-best-model before any training.
var MetricNames = []string{"loss", "exact_match", "f1", "num_samples",
	"has_ans_exact_match", "has_ans_f1", "no_ans_exact_match", "no_ans_f1"}

// Metrics flattens the report into the numbers the Trainer logs (without
// the "eval_" prefix).
func (r *Report) Metrics() map[string]float64 {
	m := map[string]float64{
		"loss": r.Loss, "exact_match": r.All.ExactMatch, "f1": r.All.F1, "num_samples": float64(r.All.Count),
	}
	if r.NoAns.Count > 0 {
		m["has_ans_exact_match"], m["has_ans_f1"] = r.HasAns.ExactMatch, r.HasAns.F1
		m["no_ans_exact_match"], m["no_ans_f1"] = r.NoAns.ExactMatch, r.NoAns.F1
	}
	return m
}

// Evaluate answers every example with m and scores the answers against the
// gold ones.
func Evaluate(ctx context.Context, m *bert.Model, tok *tokenize.Tokenizer, exs []Example, opt Options) (*Report, error) {
	feats, err := Featurize(tok, exs, opt)
	if err != nil {
		return nil, err
	}
	return evaluateFeatures(ctx, m, tok.PadID(), exs, feats, opt)
}

func evaluateFeatures(ctx context.Context, m *bert.Model, padID int, exs []Example, feats []Feature, opt Options) (*Report, error) {
	if len(exs) == 0 {
		return nil, errors.New("no questions to evaluate")
	}
	opt = opt.withDefaults()
	logits, err := runLogits(ctx, m, padID, feats, opt.BatchSize)
	if err != nil {
		return nil, err
	}
	r := &Report{}
	for k, f := range feats {
		r.Loss -= (logSoftmaxAt(logits[k].Start, f.Start) + logSoftmaxAt(logits[k].End, f.End)) / 2
	}
	r.Loss /= float64(max(len(feats), 1))
	for _, nb := range postprocessAll(exs, feats, logits, opt) {
		r.Predictions = append(r.Predictions, nb[0])
	}
	r.All, r.HasAns, r.NoAns = score(exs, r.Predictions)
	return r, nil
}

// score is SQuAD's exact match and F1 of the predictions, over all
// questions and split by whether they have a gold answer.
func score(exs []Example, preds []Prediction) (all, hasAns, noAns Scores) {
	for i, ex := range exs {
		em, f1 := scoreAnswer(ex.Answers, preds[i].Text)
		s := &hasAns
		if len(ex.Answers) == 0 {
			s = &noAns
		}
		for _, t := range []*Scores{s, &all} {
			t.Count++
			t.ExactMatch += em
			t.F1 += f1
		}
	}
	for _, s := range []*Scores{&all, &hasAns, &noAns} {
		if s.Count > 0 {
			s.ExactMatch /= float64(s.Count)
			s.F1 /= float64(s.Count)
		}
	}
	return all, hasAns, noAns
}

// postprocessAll post-processes the windows of each example (features
// are in example order) into its n-best answers; an example without
// windows gets the null answer.
func postprocessAll(exs []Example, feats []Feature, logits []WindowLogits, opt Options) [][]Prediction {
	out := make([][]Prediction, len(exs))
	for i := range out {
		out[i] = []Prediction{{Impossible: true}}
	}
	for lo := 0; lo < len(feats); {
		hi := lo
		for hi < len(feats) && feats[hi].Example == feats[lo].Example {
			hi++
		}
		i := feats[lo].Example
		out[i] = Postprocess(exs[i].Context, feats[lo:hi], logits[lo:hi], opt)
		lo = hi
	}
	return out
}

// runLogits runs inference over the windows in batches.
func runLogits(ctx context.Context, m *bert.Model, padID int, feats []Feature, batch int) ([]WindowLogits, error) {
	if m.QA == nil {
		return nil, errors.New("question answering needs a " + bert.ClassName(bert.HeadQA) + " model, not " + bert.ClassName(m.Head))
	}
	out := make([]WindowLogits, 0, len(feats))
	for i := 0; i < len(feats); i += batch {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		fs := make([]*Feature, 0, batch)
		for k := i; k < min(i+batch, len(feats)); k++ {
			fs = append(fs, &feats[k])
		}
		in := collate(fs, padID, 1, 0)
		o, err := m.Forward(in, nil, bert.Options{})
		if err != nil {
			return nil, err
		}
		for b, f := range fs {
			row := b * in.Seq
			out = append(out, WindowLogits{
				Start: append([]float32(nil), o.StartLogits.Data[row:row+len(f.IDs)]...),
				End:   append([]float32(nil), o.EndLogits.Data[row:row+len(f.IDs)]...),
			})
		}
	}
	return out, nil
}

func logSoftmaxAt(x []float32, y int) float64 {
	mx := math.Inf(-1)
	for _, v := range x {
		mx = math.Max(mx, float64(v))
	}
	var s float64
	for _, v := range x {
		s += math.Exp(float64(v) - mx)
	}
	return float64(x[y]) - mx - math.Log(s)
}
