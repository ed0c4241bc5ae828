// Package explain attributes one prediction of a BERT sequence classifier
// to the words of its input, on the tokens the model really sees:
//
//   - integrated gradients ("ig", Sundararajan et al. 2017) from a baseline
//     whose text tokens are all [PAD] (or [MASK]) embeddings, with [CLS] and
//     [SEP] kept; by completeness the scores add up to logit(input) −
//     logit(baseline), up to the error of the Riemann sum;
//   - gradient × input ("gxi") on the word embeddings;
//   - attention rollout ("rollout", Abnar & Zuidema 2020): the head-averaged
//     attention of every layer, mixed half-and-half with the identity for the
//     residual path, row-normalised and multiplied through the layers; a
//     token's score is the [CLS] row's weight on it.
//
// Word-piece scores are summed into words (a word is a piece and the "##"
// pieces that follow it) with spans in code points of the original text.
//
// Gradients are taken with respect to the input embeddings only: the model
// runs without grad, so its parameters are read through detached views and
// no parameter gradient is written. Explaining is therefore safe while the
// same model serves other requests.
package explain

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/medbert/medbert/bert"
	"github.com/medbert/medbert/metrics"
	"github.com/medbert/medbert/tensor"
	"github.com/medbert/medbert/tokenize"
)

// The attribution methods.
const (
	IntegratedGradients = "ig"
	GradientInput       = "gxi"
	Rollout             = "rollout"
)

// The baselines of integrated gradients: every text token's embedding
// replaced by that of [PAD] or of [MASK].
const (
	BaselinePad  = "pad"
	BaselineMask = "mask"
)

// Options choose the method and its settings; the zero value is
// integrated gradients with 32 steps from a [PAD] baseline, explaining the
// predicted class.
type Options struct {
	Method   string // IntegratedGradients (default), GradientInput or Rollout
	Steps    int    // integrated-gradients steps (default 32)
	Baseline string // BaselinePad (default) or BaselineMask
	// Target is the class to explain (an index into the model's labels);
	// nil explains the predicted class.
	Target *int
	// MaxLength truncates the input (default: max_position_embeddings, at
	// most 512).
	MaxLength int
	// StepBatch is how many interpolation steps run in one forward pass
	// (default 8): memory grows with it, passes shrink.
	StepBatch int
}

// Word is one word of the input with its attribution. Start and End are
// code-point offsets into the text, end-exclusive.
type Word struct {
	Word  string  `json:"word"`
	Start int     `json:"start"`
	End   int     `json:"end"`
	Score float64 `json:"score"`
}

// Explanation is the attribution of one prediction. Logit and
// BaselineLogit are the explained class's logit for the input and for the
// integrated-gradients baseline (whatever the method, for comparison).
type Explanation struct {
	Label         string  `json:"label"`
	Method        string  `json:"method"`
	Logit         float64 `json:"logit"`
	BaselineLogit float64 `json:"baseline_logit"`
	Words         []Word  `json:"words"`
	// Target is the explained class index; Truncated says the text was cut
	// to MaxLength tokens (words past the cut get no score).
	Target    int  `json:"target"`
	Truncated bool `json:"truncated"`
}

// Explain attributes m's prediction for text. m must be a float32
// sequence-classification model and tok its tokenizer.
func Explain(ctx context.Context, m *bert.Model, tok *tokenize.Tokenizer, text string, opt Options) (*Explanation, error) {
	opt, err := opt.withDefaults(m)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(text) == "" {
		return nil, errors.New("explain: empty text")
	}
	full, err := tok.Encode(text, tokenize.Options{})
	if err != nil {
		return nil, err
	}
	enc, err := tok.Encode(text, tokenize.Options{MaxLength: opt.MaxLength, Truncation: tokenize.LongestFirst})
	if err != nil {
		return nil, err
	}
	p := newProblem(m, tok, enc, opt.Baseline)
	logits, err := p.logits(p.input)
	if err != nil {
		return nil, err
	}
	target := metrics.ArgmaxRow(logits)
	if opt.Target != nil {
		target = *opt.Target
		if target < 0 || target >= len(logits) {
			return nil, fmt.Errorf("explain: target class %d is outside [0, %d)", target, len(logits))
		}
	}
	base, err := p.logits(p.baseline)
	if err != nil {
		return nil, err
	}
	var scores []float64
	switch opt.Method {
	case IntegratedGradients:
		scores, err = p.integratedGradients(ctx, target, opt.Steps, opt.StepBatch)
	case GradientInput:
		scores, err = p.gradientInput(target)
	case Rollout:
		scores, err = p.rollout()
	}
	if err != nil {
		return nil, err
	}
	return &Explanation{
		Label:         m.Config.Labels()[target],
		Method:        opt.Method,
		Logit:         float64(logits[target]),
		BaselineLogit: float64(base[target]),
		Words:         Words(text, enc, scores),
		Target:        target,
		Truncated:     full.Len() > enc.Len(),
	}, nil
}

func (o Options) withDefaults(m *bert.Model) (Options, error) {
	if m.SeqCls == nil {
		return o, fmt.Errorf("explain: the model is a %s model; explanations need a sequence classifier", m.Head)
	}
	if m.Quantized() {
		return o, errors.New("explain: the model is int8; gradients need the float32 model folder it was quantized from")
	}
	switch o.Method {
	case "":
		o.Method = IntegratedGradients
	case IntegratedGradients, GradientInput, Rollout:
	default:
		return o, fmt.Errorf("explain: unknown method %q (want %s, %s or %s)", o.Method, IntegratedGradients, GradientInput, Rollout)
	}
	switch o.Baseline {
	case "":
		o.Baseline = BaselinePad
	case BaselinePad, BaselineMask:
	default:
		return o, fmt.Errorf("explain: unknown baseline %q (want %s or %s)", o.Baseline, BaselinePad, BaselineMask)
	}
	if o.Steps == 0 {
		o.Steps = 32
	}
	if o.Steps < 1 || o.Steps > 4096 {
		return o, fmt.Errorf("explain: steps %d must be in [1, 4096]", o.Steps)
	}
	if o.StepBatch <= 0 {
		o.StepBatch = 8
	}
	maxPos := m.Config.MaxPositionEmbeddings
	if o.MaxLength == 0 {
		o.MaxLength = min(maxPos, 512)
	}
	if o.MaxLength < 3 || o.MaxLength > maxPos {
		return o, fmt.Errorf("explain: max length %d must be in [3, %d]", o.MaxLength, maxPos)
	}
	return o, nil
}

// Words merges piece scores into words of text: a piece starts a word
// unless its token is a "##" continuation; special tokens are skipped.
// Spans are code points of text.
func Words(text string, enc tokenize.Encoding, scores []float64) []Word {
	var words []Word
	var byteSpans [][2]int
	for i, tokStr := range enc.Tokens {
		if enc.SpecialMask[i] || enc.SequenceIDs[i] != 0 {
			continue
		}
		o := enc.Offsets[i]
		if n := len(words); n > 0 && strings.HasPrefix(tokStr, "##") && byteSpans[n-1][1] == o[0] {
			words[n-1].Score += scores[i]
			byteSpans[n-1][1] = o[1]
			continue
		}
		words = append(words, Word{Score: scores[i]})
		byteSpans = append(byteSpans, o)
	}
	runes := tokenize.RuneOffsets(text, byteSpans)
	for i := range words {
		words[i].Word = text[byteSpans[i][0]:byteSpans[i][1]]
		words[i].Start, words[i].End = runes[i][0], runes[i][1]
	}
	return words
}

// problem is one input prepared for attribution: its word embeddings and
// those of the baseline, (S, H) each.
type problem struct {
	m               *bert.Model
	seq, hidden     int
	typeIDs         []int
	input, baseline []float32
}

func newProblem(m *bert.Model, tok *tokenize.Tokenizer, enc tokenize.Encoding, baseline string) *problem {
	table := m.Bert.Embeddings.WordEmbeddings.Weight.Data
	h := m.Config.HiddenSize
	p := &problem{m: m, seq: enc.Len(), hidden: h, typeIDs: enc.TypeIDs,
		input: make([]float32, enc.Len()*h), baseline: make([]float32, enc.Len()*h)}
	baseID := tok.PadID()
	if baseline == BaselineMask {
		baseID = tok.MaskID()
	}
	for i, id := range enc.IDs {
		copy(p.input[i*h:(i+1)*h], table[id*h:(id+1)*h])
		b := baseID
		if enc.SpecialMask[i] {
			b = id // [CLS] and [SEP] stay: the baseline is "no words", not "no sequence"
		}
		copy(p.baseline[i*h:(i+1)*h], table[b*h:(b+1)*h])
	}
	return p
}

// forward runs the classifier on a batch of embedding rows (batch·S·H).
func (p *problem) forward(emb *tensor.Tensor, batch int, attentions bool) (*bert.Output, error) {
	tt := make([]int, 0, batch*p.seq)
	for range batch {
		tt = append(tt, p.typeIDs...)
	}
	return p.m.Forward(&bert.Input{Batch: batch, Seq: p.seq, TokenTypeIDs: tt, InputsEmbeds: emb}, nil, bert.Options{Attentions: attentions})
}

func (p *problem) logits(emb []float32) ([]float32, error) {
	out, err := p.forward(tensor.New(emb, 1, p.seq, p.hidden), 1, false)
	if err != nil {
		return nil, err
	}
	return out.Logits.Data, nil
}

// gradients returns d(logit[target])/d(embeddings) for each of a batch of
// embedding inputs (batch·S·H values).
func (p *problem) gradients(emb []float32, batch, target int) ([]float32, error) {
	x := tensor.New(emb, batch, p.seq, p.hidden)
	x.SetRequiresGrad(true)
	out, err := p.forward(x, batch, false)
	if err != nil {
		return nil, err
	}
	tensor.Sum(tensor.SliceLast(out.Logits, target, target+1)).Backward()
	return x.Grad, nil
}

// integratedGradients: score_i = Σ_h (x−b)[i,h] · (1/m) Σ_k ∂f/∂x[i,h] at
// b + α_k(x−b), α_k = (k+½)/m (the midpoint rule).
func (p *problem) integratedGradients(ctx context.Context, target, steps, stepBatch int) ([]float64, error) {
	n := p.seq * p.hidden
	sum := make([]float64, n)
	for k0 := 0; k0 < steps; k0 += stepBatch {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		nb := min(stepBatch, steps-k0)
		emb := make([]float32, nb*n)
		for j := range nb {
			alpha := (float32(k0+j) + 0.5) / float32(steps)
			row := emb[j*n : (j+1)*n]
			for i := range row {
				row[i] = p.baseline[i] + alpha*(p.input[i]-p.baseline[i])
			}
		}
		g, err := p.gradients(emb, nb, target)
		if err != nil {
			return nil, err
		}
		for j := range nb {
			for i, v := range g[j*n : (j+1)*n] {
				sum[i] += float64(v)
			}
		}
	}
	scores := make([]float64, p.seq)
	for t := range p.seq {
		var s float64
		for h := range p.hidden {
			i := t*p.hidden + h
			s += float64(p.input[i]-p.baseline[i]) * sum[i]
		}
		scores[t] = s / float64(steps)
	}
	return scores, nil
}

// gradientInput: score_i = Σ_h x[i,h] · ∂f/∂x[i,h].
func (p *problem) gradientInput(target int) ([]float64, error) {
	g, err := p.gradients(append([]float32(nil), p.input...), 1, target)
	if err != nil {
		return nil, err
	}
	scores := make([]float64, p.seq)
	for t := range p.seq {
		for h := range p.hidden {
			i := t*p.hidden + h
			scores[t] += float64(p.input[i]) * float64(g[i])
		}
	}
	return scores, nil
}

// rollout multiplies, layer by layer, Â = row-normalise(½·mean_heads(A) + ½·I)
// and returns the [CLS] row of the product.
func (p *problem) rollout() ([]float64, error) {
	out, err := p.forward(tensor.New(append([]float32(nil), p.input...), 1, p.seq, p.hidden), 1, true)
	if err != nil {
		return nil, err
	}
	s := p.seq
	r := identity(s)
	for _, att := range out.Attentions {
		heads := att.Shape[1]
		a := make([]float64, s*s)
		for h := range heads {
			for i, v := range att.Data[h*s*s : (h+1)*s*s] {
				a[i] += float64(v) / float64(heads)
			}
		}
		for i := range s {
			var rowSum float64
			for j := range s {
				v := 0.5 * a[i*s+j]
				if i == j {
					v += 0.5
				}
				a[i*s+j] = v
				rowSum += v
			}
			for j := range s {
				a[i*s+j] /= rowSum
			}
		}
		r = matmul(a, r, s)
	}
	scores := make([]float64, s)
	copy(scores, r[:s])
	if math.IsNaN(scores[0]) {
		return nil, errors.New("explain: attention rollout is not finite")
	}
	return scores, nil
}

func identity(n int) []float64 {
	m := make([]float64, n*n)
	for i := range n {
		m[i*n+i] = 1
	}
	return m
}

// matmul returns a·b for n×n row-major matrices.
func matmul(a, b []float64, n int) []float64 {
	c := make([]float64, n*n)
	for i := range n {
		for k := range n {
			aik := a[i*n+k]
			if aik == 0 {
				continue
			}
			for j := range n {
				c[i*n+j] += aik * b[k*n+j]
			}
		}
	}
	return c
}
