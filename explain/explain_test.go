package explain

import (
	"context"
	"github.com/medbert/medbert/internal/testmodel"
	"math"
	"strings"
	"testing"

	"github.com/medbert/medbert/bert"
	"github.com/medbert/medbert/tokenize"
)

// tinyClassifier is the golden tiny seq-cls model and its tokenizer.
func tinyClassifier(t testing.TB) (*bert.Model, *tokenize.Tokenizer) {
	return testmodel.Load(t, bert.HeadSeqCls)
}

const tinyText = "a b c ! d e f ? g , h"

// TestIntegratedGradientsCompleteness: the attributions add up to
// logit(input) − logit(baseline) within 2% at 64 steps.
func TestIntegratedGradientsCompleteness(t *testing.T) {
	m, tok := tinyClassifier(t)
	for _, base := range []string{BaselinePad, BaselineMask} {
		for target := range 2 {
			e, err := Explain(context.Background(), m, tok, tinyText, Options{Steps: 64, Baseline: base, Target: &target})
			if err != nil {
				t.Fatal(err)
			}
			checkCompleteness(t, e, 0.02)
		}
	}
}

func checkCompleteness(t *testing.T, e *Explanation, tol float64) {
	t.Helper()
	var sum float64
	for _, w := range e.Words {
		sum += w.Score
	}
	want := e.Logit - e.BaselineLogit
	if want == 0 || math.Abs(sum-want) > tol*math.Abs(want) {
		t.Errorf("%s target %d: attributions sum to %.6g, logit − baseline = %.6g (tolerance %g)", e.Method, e.Target, sum, want, tol)
	}
}

// TestGradientInputFiniteDifferences: each token's gradient × input score
// is the derivative of the logit along that token's embedding, checked by
// a central difference f(x + ε·x_t) − f(x − ε·x_t) over 2ε.
func TestGradientInputFiniteDifferences(t *testing.T) {
	m, tok := tinyClassifier(t)
	enc, err := tok.Encode(tinyText, tokenize.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := newProblem(m, tok, enc, BaselinePad)
	const target = 1
	scores, err := p.gradientInput(target)
	if err != nil {
		t.Fatal(err)
	}
	const eps = 1e-2
	h := p.hidden
	for tk := range p.seq {
		shifted := func(s float32) float64 {
			x := append([]float32(nil), p.input...)
			for i := tk * h; i < (tk+1)*h; i++ {
				x[i] += s * p.input[i]
			}
			l, err := p.logits(x)
			if err != nil {
				t.Fatal(err)
			}
			return float64(l[target])
		}
		num := (shifted(eps) - shifted(-eps)) / (2 * eps)
		if d := math.Abs(num - scores[tk]); d > 2e-3+2e-2*math.Abs(num) {
			t.Errorf("token %d: gradient × input %.6g, finite difference %.6g", tk, scores[tk], num)
		}
	}
}

// TestRolloutIsADistribution: every mixed attention matrix is row-stochastic,
// so the [CLS] row of their product sums to 1 over all tokens.
func TestRolloutIsADistribution(t *testing.T) {
	m, tok := tinyClassifier(t)
	enc, err := tok.Encode(tinyText, tokenize.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := newProblem(m, tok, enc, BaselinePad)
	scores, err := p.rollout()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, s := range scores {
		if s < 0 || s > 1 {
			t.Fatalf("rollout score %g outside [0, 1]", s)
		}
		sum += s
	}
	if math.Abs(sum-1) > 1e-9 {
		t.Errorf("rollout [CLS] row sums to %.12g, want 1", sum)
	}
}

// TestWordsMerge: "##" pieces join the word before them; spans are code
// points of the original text (é is one code point, two bytes).
func TestWordsMerge(t *testing.T) {
	text := "Pneumonia  in café"
	enc := tokenize.Encoding{
		Tokens:      []string{"[CLS]", "Pneum", "##onia", "in", "caf", "##é", "[SEP]"},
		Offsets:     [][2]int{{0, 0}, {0, 5}, {5, 9}, {11, 13}, {14, 17}, {17, 19}, {0, 0}},
		SpecialMask: []bool{true, false, false, false, false, false, true},
		SequenceIDs: []int{-1, 0, 0, 0, 0, 0, -1},
	}
	got := Words(text, enc, []float64{9, 1, 2, 4, 8, 16, 9})
	want := []Word{{"Pneumonia", 0, 9, 3}, {"in", 11, 13, 4}, {"café", 14, 18, 24}}
	if len(got) != len(want) {
		t.Fatalf("Words = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("word %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestExplainRefuses(t *testing.T) {
	m, tok := tinyClassifier(t)
	bad := 7
	for name, opt := range map[string]Options{
		"method":   {Method: "shap"},
		"baseline": {Baseline: "zeros"},
		"steps":    {Steps: -1},
		"target":   {Target: &bad},
	} {
		if _, err := Explain(context.Background(), m, tok, tinyText, opt); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := Explain(context.Background(), m, tok, "  ", Options{}); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("empty text: %v", err)
	}
	if err := m.Quantize(bert.QuantOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := Explain(context.Background(), m, tok, tinyText, Options{}); err == nil || !strings.Contains(err.Error(), "int8") {
		t.Errorf("int8 model: %v", err)
	}
}

// TestRender: the page shows every word of the text, highlighted, with the
// disclaimer, and loads nothing; the text form lists the strongest first.
func TestRender(t *testing.T) {
	text := "Pneumonia <b>&  café"
	e := &Explanation{Label: "lung <x>", Method: IntegratedGradients, Logit: 2, BaselineLogit: -1,
		Words: []Word{{"Pneumonia", 0, 9, 2.5}, {"<b>", 10, 13, 0}, {"&", 13, 14, -0.5}, {"café", 16, 20, 1}}}
	var page strings.Builder
	if err := e.WriteHTML(&page, text); err != nil {
		t.Fatal(err)
	}
	h := page.String()
	for _, want := range []string{
		`title="&#43;2.5000">Pneumonia</span>`, `&lt;b&gt;`, `>&amp;</span>`, `>café</span>`, "lung &lt;x&gt;",
		"background:rgba(214,39,40,0.750)", "background:rgba(31,119,180,0.150)", "qualified clinician",
	} {
		if !strings.Contains(h, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	for _, bad := range []string{"<script", "http://", "https://", "<b>&"} {
		if strings.Contains(h, bad) {
			t.Errorf("page contains %q", bad)
		}
	}
	var txt strings.Builder
	if err := e.WriteText(&txt, text, false); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(txt.String()), "\n")
	if len(lines) != 5 || !strings.HasSuffix(lines[1], "Pneumonia") || !strings.HasSuffix(lines[2], "café") || !strings.HasSuffix(lines[3], "&") {
		t.Errorf("text form:\n%s", txt.String())
	}
	var col strings.Builder
	if err := e.WriteText(&col, text, true); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(col.String(), "\x1b[48;5;196mPneumonia\x1b[0m") {
		t.Errorf("coloured text lacks the strongest word's shade: %q", col.String())
	}
	bad := &Explanation{Words: []Word{{"x", 5, 40, 1}}}
	if err := bad.WriteHTML(&page, text); err == nil {
		t.Error("a span past the text: no error")
	}
}
