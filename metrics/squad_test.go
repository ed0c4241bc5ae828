package metrics

import (
	"encoding/json"
	"strings"
	"testing"
)

// Expected strings follow the official normalize_answer step by step
// (lower, drop ASCII punctuation, drop whole-word a/an/the, collapse
// whitespace).
func TestNormalizeAnswer(t *testing.T) {
	cases := map[string]string{
		"The  Cat, sat!":           "cat sat",
		"An apple a day":           "apple day",
		"theory":                   "theory", // articles only as whole words
		"a-b":                      "ab",     // punctuation goes first ...
		"A.N.":                     "",       // ... so "a.n." becomes the article "an"
		"_the_":                    "",       // '_' is punctuation
		"the—cough":                "—cough", // "—" is not ASCII punctuation but is a word boundary
		"über the Straße":          "über straße",
		"ΟΔΟΣ ΣΑ":                  "οδος σα", // final sigma only at the end of a word
		"İ":                        "i\u0307", // Python's full lower-casing
		"x\x1cy\u00a0z\u3000w":     "x y z w", // Python's whitespace
		"\tPneumonia.\n":           "pneumonia",
		"":                         "",
		"the a an":                 "",
		"Community-acquired (CAP)": "communityacquired cap",
		"theátre the\u0301":        "theátre \u0301", // a combining mark is not a word character
	}
	for in, want := range cases {
		if got := NormalizeAnswer(in); got != want {
			t.Errorf("NormalizeAnswer(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAnswerF1AndExactMatch(t *testing.T) {
	cases := []struct {
		pred, gold string
		em         bool
		f1v1, f1v2 float64
	}{
		{"Pneumonia.", "pneumonia", true, 1, 1},
		// [acute pneumonia] vs [community acquired pneumonia]: P 1/2, R 1/3.
		{"acute pneumonia", "community acquired pneumonia", false, 0.4, 0.4},
		// Overlap counts with multiplicity: 2 common of 3 predicted, 2 gold.
		{"the cough cough cough", "cough cough", false, 0.8, 0.8},
		{"fever", "cough", false, 0, 0},
		// Empty sides: v2 scores empty vs empty as 1, v1 as 0.
		{"", "", true, 0, 1},
		{"the", "", true, 0, 1},
		{"", "fever", false, 0, 0},
		{"fever", "", false, 0, 0},
	}
	for _, c := range cases {
		if got := ExactMatch(c.pred, c.gold); got != c.em {
			t.Errorf("ExactMatch(%q, %q) = %v", c.pred, c.gold, got)
		}
		near(t, "f1 v1 "+c.pred+"|"+c.gold, AnswerF1(c.pred, c.gold, SQuADv1), c.f1v1)
		near(t, "f1 v2 "+c.pred+"|"+c.gold, AnswerF1(c.pred, c.gold, SQuADv2), c.f1v2)
	}
}

func TestSQuADv2Breakdown(t *testing.T) {
	preds := []QAPrediction{
		{Gold: []string{"pneumonia", "community-acquired pneumonia"}, Pred: "Pneumonia"}, // em 1 f1 1
		{Gold: []string{"persistent cough"}, Pred: "a cough"},                            // em 0 f1 2/3
		{Gold: nil, Pred: ""},      // no answer, right: 1 1
		{Gold: nil, Pred: "fever"}, // no answer, wrong: 0 0
		// Gold that normalises to nothing: v2 drops it, so only "" is right.
		{Gold: []string{"The"}, Pred: ""}, // 1 1 (HasAns, as the list is non-empty)
	}
	r, err := SQuAD(preds, SQuADv2)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "exact", r.ExactMatch, 3.0/5)
	near(t, "f1", r.F1, (1+2.0/3+1+0+1)/5)
	if r.Total != 5 || r.HasAns == nil || r.NoAns == nil || r.HasAns.Total != 3 || r.NoAns.Total != 2 {
		t.Fatalf("breakdown %+v has %+v no %+v", r, r.HasAns, r.NoAns)
	}
	near(t, "has exact", r.HasAns.ExactMatch, 2.0/3)
	near(t, "has f1", r.HasAns.F1, (1+2.0/3+1)/3)
	near(t, "no exact", r.NoAns.ExactMatch, 0.5)
	near(t, "no f1", r.NoAns.F1, 0.5)
	b, _ := json.Marshal(r)
	for _, k := range []string{`"version":2`, `"exact_match":0.6`, `"total":5`, `"has_ans":{`, `"no_ans":{"exact_match":0.5,"f1":0.5,"total":2}`} {
		if !strings.Contains(string(b), k) {
			t.Errorf("JSON lacks %s: %s", k, b)
		}
	}
}

func TestSQuADv1(t *testing.T) {
	preds := []QAPrediction{
		{Gold: []string{"pneumonia", "community-acquired pneumonia"}, Pred: "acquired pneumonia"}, // em 0, f1 max(2/3, 0.8)
		{Gold: []string{"The"}, Pred: ""}, // v1: em 1 ("" == ""), f1 0
	}
	r, err := SQuAD(preds, SQuADv1)
	if err != nil {
		t.Fatal(err)
	}
	// "communityacquired pneumonia" (hyphen removed) vs "acquired pneumonia":
	// 1 common of 2 and 2 -> 0.5; against "pneumonia": P 1/2, R 1 -> 2/3.
	near(t, "f1", r.F1, (2.0/3+0)/2)
	near(t, "exact", r.ExactMatch, 0.5)
	if r.HasAns != nil || r.NoAns != nil {
		t.Error("v1 result has a v2 breakdown")
	}
	if _, err := SQuAD([]QAPrediction{{Pred: "x"}}, SQuADv1); err == nil {
		t.Error("v1 accepted a question without gold answers")
	}
	if _, err := SQuAD(preds, SQuADVersion(3)); err == nil {
		t.Error("version 3 accepted")
	}
	if r, _ := SQuAD(nil, SQuADv2); r.Total != 0 || r.F1 != 0 || r.HasAns != nil {
		t.Errorf("empty: %+v", r)
	}
}

// FuzzNormalizeAnswer: normalising is idempotent, never panics, and F1 of
// an answer with itself is 1 whenever it has a token.
func FuzzNormalizeAnswer(f *testing.F) {
	for _, s := range []string{"The Cat", "A.N.", "ΟΔΟΣ", "İstanbul", "x\x1cy", "the\u0301", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := NormalizeAnswer(s)
		if again := NormalizeAnswer(n); again != n {
			t.Errorf("not idempotent: %q -> %q -> %q", s, n, again)
		}
		if n != "" && AnswerF1(s, s, SQuADv1) != 1 {
			t.Errorf("F1(%q, itself) = %v", s, AnswerF1(s, s, SQuADv1))
		}
	})
}

// Hand-traced find_best_thresh: start at 1 (the one unanswerable question
// abstained), then in naProb order q1 (+1 EM, +1 F1), q3 (+0 EM, +2/3 F1),
// q2 (unanswerable but answered: −1).
func TestBestNoAnswerThreshold(t *testing.T) {
	preds := []QAPrediction{
		{Gold: []string{"pneumonia"}, Pred: "pneumonia"},
		{Gold: nil, Pred: "fever"},
		{Gold: []string{"persistent cough"}, Pred: "cough"},
	}
	r, err := BestNoAnswerThreshold(preds, []float64{0.1, 0.8, 0.5})
	if err != nil {
		t.Fatal(err)
	}
	near(t, "best EM", r.BestExactMatch, 2.0/3)
	near(t, "EM threshold", r.ExactMatchThreshold, 0.1)
	near(t, "best F1", r.BestF1, (1+1+2.0/3)/3)
	near(t, "F1 threshold", r.F1Threshold, 0.5)
	if _, err := BestNoAnswerThreshold(preds, []float64{0.1}); err == nil {
		t.Error("length mismatch accepted")
	}
	// Nothing beats abstaining: threshold stays 0.
	r, _ = BestNoAnswerThreshold([]QAPrediction{{Pred: "x"}}, []float64{0.3})
	if r.BestExactMatch != 1 || r.ExactMatchThreshold != 0 {
		t.Errorf("abstain: %+v", r)
	}
}
