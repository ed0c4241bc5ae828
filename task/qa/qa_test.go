package qa

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/medbert/medbert/bert"
	"github.com/medbert/medbert/tokenize"
)

// wordTokenizer is an uncased WordPiece tokenizer whose vocabulary is the
// special tokens plus the given pieces.
func wordTokenizer(t *testing.T, pieces ...string) *tokenize.Tokenizer {
	t.Helper()
	v, err := tokenize.NewVocab("words", append([]string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}, pieces...))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenize.New(v, tokenize.DefaultSettings(true))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestReadSQuAD(t *testing.T) {
	exs, err := ReadSQuAD("testdata/squad_v2_small.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(exs) != 4 {
		t.Fatalf("%d examples, want 4", len(exs))
	}
	if e := exs[1]; e.ID != "q2" || e.Title != "Pneumonia" || len(e.Answers) != 2 || e.Answers[0] != (Answer{"signs of pneumonia", 105}) {
		t.Errorf("q2: %+v", e)
	}
	if !AnyImpossible(exs) || AnyImpossible(exs[:2]) {
		t.Error("AnyImpossible: q3 is the only unanswerable question")
	}
	if e := exs[2]; !e.Impossible || len(e.Answers) != 0 {
		t.Errorf("q3 should be unanswerable without answers: %+v", e)
	}
	if e := exs[3]; e.Answers[0].Start != 28 || string([]rune(e.Context)[28:55]) != e.Answers[0].Text {
		t.Errorf("q4: %+v", e)
	}
	for _, c := range []struct{ in, want string }{
		{`{"data": [{"paragraphs": [{"context": "abc", "qas": [{"id": "x", "question": "q", "answers": [{"text": "bc", "answer_start": 2}]}]}]}]}`,
			`f.json: data[0].paragraphs[0].qas[0] (id "x"): answers[0].answer_start 2 is outside the 3-character context`},
		{`{"data": [{"paragraphs": [{"context": "abc", "qas": [{"id": "x", "question": "q", "answers": [{"text": "ab", "answer_start": 1}]}]}]}]}`,
			`f.json: data[0].paragraphs[0].qas[0] (id "x"): answers[0].text is not the context at answer_start 1`},
		{`{"version": "1.1"}`, `f.json: no "data" array (want SQuAD v1.1/v2.0 JSON)`},
		{`[1, 2]`, `f.json: not SQuAD JSON: json: cannot unmarshal array into Go value of type qa.squadFile`},
	} {
		_, err := ParseSQuAD(strings.NewReader(c.in), "f.json")
		if err == nil || err.Error() != c.want {
			t.Errorf("ParseSQuAD(%s): %v, want %s", c.in, err, c.want)
		}
	}
}

func FuzzParseSQuAD(f *testing.F) {
	f.Add(`{"data": [{"paragraphs": [{"context": "Sjögren  x", "qas": [{"id": "1", "question": "q", "answers": [{"text": "x", "answer_start": 9}]}]}]}]}`)
	f.Add(`{"data": [{"paragraphs": [{"context": "", "qas": [{"id": "1", "question": "q", "is_impossible": true}]}]}]}`)
	f.Add(`{"data": [{"paragraphs": [{"context": "ab", "qas": [{"question": "q", "answers": [{"text": "ab", "answer_start": -1}]}]}]}]}`)
	f.Fuzz(func(t *testing.T, s string) {
		exs, err := ParseSQuAD(strings.NewReader(s), "fuzz.json")
		if err != nil {
			return
		}
		for _, e := range exs {
			for _, a := range e.Answers {
				rs := []rune(e.Context)
				if string(rs[a.Start:a.Start+len([]rune(a.Text))]) != a.Text {
					t.Fatalf("accepted an answer that is not its context's substring: %+v", e)
				}
			}
		}
	})
}

// longContext has one token per word, so that windows are easy to count.
func longContext(t *testing.T) (*tokenize.Tokenizer, Example) {
	tok := wordTokenizer(t, "q", "aa", "bb", "cc", "dd", "ee", "ff", "gg", "hh")
	return tok, Example{Question: "q", Context: "aa bb cc dd ee ff gg hh",
		Answers: []Answer{{"dd ee ff", 9}}}
}

// Max length 8 leaves 4 context tokens per window after [CLS] q [SEP] ...
// [SEP]; stride 2: windows hold context tokens [0,4) [2,6) [4,8). Only the
// middle one holds all of "dd ee ff": it is labelled at positions 4..6,
// the others at [CLS].
func TestFeaturizeWindows(t *testing.T) {
	tok, ex := longContext(t)
	fs, err := Featurize(tok, []Example{ex}, Options{MaxLength: 8, Stride: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 3 {
		t.Fatalf("%d windows, want 3", len(fs))
	}
	got := [][2]int{}
	for _, f := range fs {
		got = append(got, [2]int{f.Start, f.End})
	}
	if want := [][2]int{{0, 0}, {4, 6}, {0, 0}}; !slices.Equal(got, want) {
		t.Errorf("labels %v, want %v", got, want)
	}
	if want := []bool{false, false, false, true, true, true, true, false}; !slices.Equal(fs[1].Context, want) {
		t.Errorf("context mask %v", fs[1].Context)
	}
	// An unanswerable question is labelled [CLS] everywhere.
	ex.Answers = nil
	fs, _ = Featurize(tok, []Example{ex}, Options{MaxLength: 8, Stride: 2})
	for _, f := range fs {
		if f.Start != 0 || f.End != 0 {
			t.Errorf("unanswerable labelled %d..%d", f.Start, f.End)
		}
	}
	if _, err := Featurize(tok, []Example{{ID: "long", Question: "q q q q q q", Context: "aa"}}, Options{MaxLength: 8}); err == nil {
		t.Error("a question filling the window: no error")
	}
}

// logitsAt gives every position -5 except the listed ones.
func logitsAt(n int, set map[int]float32) []float32 {
	l := make([]float32, n)
	for i := range l {
		l[i] = -5
	}
	for k, v := range set {
		l[k] = v
	}
	return l
}

func TestPostprocessAcrossWindows(t *testing.T) {
	tok, ex := longContext(t)
	fs, err := Featurize(tok, []Example{ex}, Options{MaxLength: 8, Stride: 2})
	if err != nil {
		t.Fatal(err)
	}
	// Window 0 ([CLS] q [SEP] aa bb cc dd [SEP]) sees "dd" begin at 6 but
	// cannot end the answer inside; window 1 ([CLS] q [SEP] cc dd ee ff
	// [SEP]) has the whole span 4..6. "cc dd" is a candidate of both.
	logits := []WindowLogits{
		{Start: logitsAt(8, map[int]float32{0: -1, 6: 6, 5: 2}), End: logitsAt(8, map[int]float32{0: -1, 6: 1})},
		{Start: logitsAt(8, map[int]float32{0: -1, 4: 5, 3: 1}), End: logitsAt(8, map[int]float32{0: -1, 6: 5, 4: 3})},
		{Start: logitsAt(8, map[int]float32{0: 2}), End: logitsAt(8, map[int]float32{0: 2})},
	}
	nb := Postprocess(ex.Context, fs, logits, Options{MaxAnswerLength: 30, NBest: 5})
	if nb[0].Text != "dd ee ff" || nb[0].Start != 9 || nb[0].End != 17 || nb[0].Logit != 10 {
		t.Fatalf("best %+v, want dd ee ff [9,17) logit 10", nb[0])
	}
	// Window 1's softmax over [CLS] and its 4 context tokens.
	zs := math.Exp(-1) + math.Exp(1) + math.Exp(5) + 2*math.Exp(-5)
	ze := math.Exp(-1) + math.Exp(3) + math.Exp(5) + 2*math.Exp(-5)
	if want := math.Exp(5) / zs * math.Exp(5) / ze; math.Abs(nb[0].Score-want) > 1e-9 {
		t.Errorf("score %v, want %v", nb[0].Score, want)
	}
	for i := 1; i < len(nb); i++ {
		if nb[i].Logit > nb[i-1].Logit {
			t.Errorf("n-best not ordered: %v then %v", nb[i-1].Logit, nb[i].Logit)
		}
	}
	seen := map[[2]int]bool{}
	for _, p := range nb {
		if seen[[2]int{p.Start, p.End}] {
			t.Errorf("span %q listed twice", p.Text)
		}
		seen[[2]int{p.Start, p.End}] = true
		if p.Impossible {
			t.Errorf("null answer in the n-best without AllowImpossible: %+v", nb)
		}
	}
	// The n-best by hand: window 1 dd..ff 10, dd 8, cc..ff 6, cc..dd 4;
	// window 0's dd (7) is the same text span as window 1's and is dropped.
	texts := []string{}
	for _, p := range nb {
		texts = append(texts, p.Text)
	}
	if want := []string{"dd ee ff", "dd", "cc dd ee ff", "cc dd"}; !slices.Equal(texts[:4], want) {
		t.Errorf("n-best %q", texts)
	}

	// Max answer length 2 tokens: "dd ee ff" (3) is out, "dd" is best.
	nb = Postprocess(ex.Context, fs, logits, Options{MaxAnswerLength: 2})
	if nb[0].Text != "dd" {
		t.Errorf("max answer length 2: best %q, want dd", nb[0].Text)
	}
}

// TestPostprocessUnanswerable: the null score is the smallest [CLS] start
// + end logit over the windows (4 here, from window 1); it wins with
// AllowImpossible when it beats the best span (dd ee, -0.5) by more than the
// threshold.
func TestPostprocessUnanswerable(t *testing.T) {
	tok, ex := longContext(t)
	fs, _ := Featurize(tok, []Example{ex}, Options{MaxLength: 8, Stride: 2})
	logits := []WindowLogits{
		{Start: logitsAt(8, map[int]float32{0: 4}), End: logitsAt(8, map[int]float32{0: 4})},
		{Start: logitsAt(8, map[int]float32{0: 2, 4: 0}), End: logitsAt(8, map[int]float32{0: 2, 5: -0.5})},
		{Start: logitsAt(8, map[int]float32{0: 3}), End: logitsAt(8, map[int]float32{0: 3})},
	}
	nb := Postprocess(ex.Context, fs, logits, Options{AllowImpossible: true})
	if !nb[0].Impossible || nb[0].Text != "" || nb[0].Logit != 4 || nb[1].Text != "dd ee" {
		t.Errorf("v2: %+v, want the null answer (logit 4) then dd ee", nb[:2])
	}
	if nb := Postprocess(ex.Context, fs, logits, Options{AllowImpossible: true, NullScoreDiffThreshold: 4.5}); nb[0].Text != "dd ee" {
		t.Errorf("threshold 4.5 = 4 - (-0.5): best %+v, want dd ee (the null must beat it by more)", nb[0])
	}
	if nb := Postprocess(ex.Context, fs, logits, Options{}); nb[0].Impossible {
		t.Errorf("v1 (no AllowImpossible) answered null: %+v", nb[0])
	}
	// No context at all: only the null answer.
	empty := Example{Question: "q", Context: ""}
	fs, _ = Featurize(tok, []Example{empty}, Options{MaxLength: 8})
	if nb := Postprocess("", fs, []WindowLogits{{Start: make([]float32, 4), End: make([]float32, 4)}}, Options{}); len(nb) != 1 || !nb[0].Impossible {
		t.Errorf("empty context: %+v", nb)
	}
}

// TestPostprocessOriginalText: accents (stripped by the uncased
// tokenizer) and a double space come back exactly from the offsets.
func TestPostprocessOriginalText(t *testing.T) {
	tok := wordTokenizer(t, "quel", "diagnostic", "?", "le", "retenu", "est", "un", "syndrome", "de", "sj", "##ogren", "severe", ".")
	ex := Example{Question: "Quel diagnostic ?", Context: "Le diagnostic retenu est un syndrome de Sjögren  sévère."}
	fs, err := Featurize(tok, []Example{ex}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	f := fs[0]
	// [CLS] quel diagnostic ? [SEP] le diagnostic retenu est un syndrome de sj ##ogren severe . [SEP]
	if f.IDs[10] != mustID(t, tok, "syndrome") || f.IDs[14] != mustID(t, tok, "severe") {
		t.Fatalf("unexpected tokens %v", f.IDs)
	}
	n := len(f.IDs)
	nb := Postprocess(ex.Context, fs, []WindowLogits{{Start: logitsAt(n, map[int]float32{10: 3}), End: logitsAt(n, map[int]float32{14: 3})}}, Options{})
	want := "syndrome de Sjögren  sévère"
	if p := nb[0]; p.Text != want || p.Start != 28 || p.End != 55 || string([]rune(ex.Context)[p.Start:p.End]) != want {
		t.Errorf("got %+v, want %q at [28,55)", p, want)
	}
}

func mustID(t *testing.T, tok *tokenize.Tokenizer, s string) int {
	id, ok := tok.Vocab().ID(s)
	if !ok {
		t.Fatalf("%q not in vocab", s)
	}
	return id
}

func TestSQuADScores(t *testing.T) {
	for _, c := range []struct {
		gold, pred string
		em, f1     float64
	}{
		{"the Pneumonia", "pneumonia!", 1, 1},
		{"severe community pneumonia", "pneumonia", 0, 0.5},
		{"a cough and a fever", "Fever, cough", 0, 2 * (1.0 * 2 / 3) / (1 + 2.0/3)}, // gold: cough and fever
		{"", "", 1, 1},
		{"", "pneumonia", 0, 0},
		{"Sjögren syndrome", "sjögren  syndrome", 1, 1},
		{"the", "an", 1, 1}, // both normalise to ""
		{"theme", "the me", 0, 0},
	} {
		em, f1 := scoreAnswer([]Answer{{Text: c.gold}}, c.pred)
		if c.gold == "" {
			em, f1 = scoreAnswer(nil, c.pred)
		}
		if em != c.em || math.Abs(f1-c.f1) > 1e-12 {
			t.Errorf("gold %q pred %q: EM %v F1 %v, want %v %v", c.gold, c.pred, em, f1, c.em, c.f1)
		}
	}
	if em, f1 := scoreAnswer([]Answer{{Text: "signs of pneumonia"}, {Text: "pneumonia"}}, "pneumonia"); em != 1 || f1 != 1 {
		t.Errorf("best over gold answers: %v %v", em, f1)
	}
	if em, _ := scoreAnswer(nil, ""); em != 1 {
		t.Error("unanswerable answered with \"\" is not an exact match")
	}
}

func TestModelSetup(t *testing.T) {
	cfg := bert.DefaultConfig()
	cfg.VocabSize, cfg.HiddenSize, cfg.NumHiddenLayers, cfg.NumAttentionHeads, cfg.IntermediateSize = 30, 8, 1, 2, 16
	cfg.SetNumLabels(5)
	m, err := NewModel(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	if m.QA == nil || m.Config.NumLabels != 2 || cfg.NumLabels != 5 {
		t.Fatalf("head %s, num_labels %d (cfg %d)", m.Head, m.Config.NumLabels, cfg.NumLabels)
	}
	dir := t.TempDir()
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	back, rep, err := LoadModel(dir, 1)
	if err != nil {
		t.Fatal(err)
	}
	if back.QA == nil || len(rep.Missing) != 0 {
		t.Errorf("reloaded head %s, missing %v", back.Head, rep.Missing)
	}
	if _, err := NewTask(back, wordTokenizer(t), nil, nil, Options{}); err != nil {
		t.Error(err)
	}
}

// TestScoreSplit: q1 "pneumonia" is right (EM 1, F1 1); q2 "signs" is
// best against "signs of pneumonia" (P 1, R 1/3: EM 0, F1 0.5); the
// unanswerable q3 answered "pneumonia" scores 0; q4 answered null scores 0.
func TestScoreSplit(t *testing.T) {
	exs, err := ReadSQuAD("testdata/squad_v2_small.json")
	if err != nil {
		t.Fatal(err)
	}
	preds := []Prediction{{Text: "pneumonia"}, {Text: "signs"}, {Text: "pneumonia"}, {Impossible: true}}
	all, has, no := score(exs, preds)
	if has.Count != 3 || math.Abs(has.ExactMatch-1.0/3) > 1e-12 || math.Abs(has.F1-(1+0.5+0)/3) > 1e-12 {
		t.Errorf("HasAns %+v", has)
	}
	if no.Count != 1 || no.ExactMatch != 0 || no.F1 != 0 {
		t.Errorf("NoAns %+v", no)
	}
	if all.Count != 4 || math.Abs(all.F1-1.5/4) > 1e-12 || math.Abs(all.ExactMatch-0.25) > 1e-12 {
		t.Errorf("All %+v", all)
	}
	r := &Report{All: all, HasAns: has, NoAns: no}
	if m := r.Metrics(); m["no_ans_f1"] != 0 || m["has_ans_exact_match"] != has.ExactMatch || m["f1"] != all.F1 {
		t.Errorf("metrics %v", m)
	}
}
