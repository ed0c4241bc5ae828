package metrics

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// Hand-checked against seqeval's default mode (get_entities with
// end_of_chunk/start_of_chunk); End is exclusive here, seqeval's is
// inclusive (so seqeval's ('PER', 0, 1) is {PER 0 2}).
func TestEntitiesSeqevalRules(t *testing.T) {
	cases := []struct {
		tags []string
		want []Entity
	}{
		// seqeval docstring: get_entities(['B-PER','I-PER','O','B-LOC']) ->
		// [('PER', 0, 1), ('LOC', 3, 3)].
		{[]string{"B-PER", "I-PER", "O", "B-LOC"}, []Entity{{"PER", 0, 2}, {"LOC", 3, 4}}},
		// I- without B- starts an entity.
		{[]string{"O", "I-Disease", "I-Disease", "O"}, []Entity{{"Disease", 1, 3}}},
		{[]string{"I-Disease"}, []Entity{{"Disease", 0, 1}}},
		// B-X B-X: two entities.
		{[]string{"B-X", "B-X"}, []Entity{{"X", 0, 1}, {"X", 1, 2}}},
		// Type change inside a run ends one entity and starts another.
		{[]string{"B-PER", "I-LOC", "I-LOC"}, []Entity{{"PER", 0, 1}, {"LOC", 1, 3}}},
		{[]string{"I-PER", "I-LOC"}, []Entity{{"PER", 0, 1}, {"LOC", 1, 2}}},
		// Entity running to the end of the sequence.
		{[]string{"O", "B-Chemical", "I-Chemical"}, []Entity{{"Chemical", 1, 3}}},
		// IOBES tags: S- is a single-token entity, E- closes.
		{[]string{"S-X", "B-Y", "E-Y", "O"}, []Entity{{"X", 0, 1}, {"Y", 1, 3}}},
		{[]string{"O", "O"}, nil},
		{nil, nil},
		// Nested-looking runs are flat: each B- starts a new entity.
		{[]string{"B-D", "I-D", "B-D", "I-D"}, []Entity{{"D", 0, 2}, {"D", 2, 4}}},
		{[]string{"B-D", "I-C", "I-D"}, []Entity{{"D", 0, 1}, {"C", 1, 2}, {"D", 2, 3}}},
		// IOBES read leniently: a lone E- is an entity, E- closes and a
		// following I- opens a new one, S- then I- is two entities, and a
		// B- closed by an E- of another type splits at the type change.
		{[]string{"E-X"}, []Entity{{"X", 0, 1}}},
		{[]string{"B-X", "I-X", "E-X", "I-X"}, []Entity{{"X", 0, 3}, {"X", 3, 4}}},
		{[]string{"S-X", "I-X"}, []Entity{{"X", 0, 1}, {"X", 1, 2}}},
		{[]string{"B-X", "E-Y"}, []Entity{{"X", 0, 1}, {"Y", 1, 2}}},
		// IOB1 read leniently: B- after I- of the same type splits.
		{[]string{"I-X", "I-X", "B-X"}, []Entity{{"X", 0, 2}, {"X", 2, 3}}},
		// Bare prefixes have type "_".
		{[]string{"B", "I", "O", "I"}, []Entity{{"_", 0, 2}, {"_", 3, 4}}},
	}
	for _, c := range cases {
		got := Entities(c.tags)
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("Entities(%q) = %v, want %v", c.tags, got, c.want)
		}
	}
}

// The example from seqeval's README: MISC is predicted one token too
// early (wrong span → not a match), PER is exact. classification_report:
// MISC 0/0/0 support 1, PER 1/1/1 support 1, micro 0.5, macro 0.5.
func TestEntityScoresSeqevalReadme(t *testing.T) {
	yTrue := [][]string{{"O", "O", "O", "B-MISC", "I-MISC", "I-MISC", "O"}, {"B-PER", "I-PER", "O"}}
	yPred := [][]string{{"O", "O", "B-MISC", "I-MISC", "I-MISC", "I-MISC", "O"}, {"B-PER", "I-PER", "O"}}
	r, err := EntityScores(yTrue, yPred)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(r.Types, []string{"MISC", "PER"}) {
		t.Fatalf("types %v", r.Types)
	}
	want := []EntityTypeScores{
		{Type: "MISC", ClassScores: ClassScores{Scores{0, 0, 0}, 1}, Predicted: 1, Correct: 0},
		{Type: "PER", ClassScores: ClassScores{Scores{1, 1, 1}, 1}, Predicted: 1, Correct: 1},
	}
	if !reflect.DeepEqual(r.PerType, want) {
		t.Errorf("per type %+v, want %+v", r.PerType, want)
	}
	for name, s := range map[string]Scores{"micro": r.Micro, "macro": r.Macro, "weighted": r.Weighted} {
		if s != (Scores{0.5, 0.5, 0.5}) {
			t.Errorf("%s = %+v, want 0.5 each", name, s)
		}
	}
}

// Hand count: true entities D[0,2) D[3,4) C[5,6) in sentence 1 and D[0,1)
// in sentence 2 (an I- without B-); predicted entities are marked per line.
func TestEntityScoresHandCounted(t *testing.T) {
	yTrue := [][]string{
		{"B-D", "I-D", "O", "B-D", "O", "B-C"},
		{"I-D", "O"}, // I- without B- is an entity
	}
	yPred := [][]string{
		{"B-D", "I-D", "O", "B-D", "I-D", "B-C"}, // D[0,2) hit, D[3,5) miss, C[5,6) hit
		{"B-D", "B-C"},                           // D[0,1) hit, C[1,2) false positive
	}
	r, err := EntityScores(yTrue, yPred)
	if err != nil {
		t.Fatal(err)
	}
	// C: tp 1, pred 2, true 1 -> P 0.5, R 1, F1 2/3.
	// D: tp 2, pred 3, true 3 -> P 2/3, R 2/3, F1 2/3.
	// micro: tp 3, pred 5, true 4 -> P 0.6, R 0.75, F1 2/3.
	near(t, "C precision", r.PerType[0].Precision, 0.5)
	near(t, "C recall", r.PerType[0].Recall, 1)
	near(t, "C f1", r.PerType[0].F1, 2.0/3)
	near(t, "D precision", r.PerType[1].Precision, 2.0/3)
	near(t, "D recall", r.PerType[1].Recall, 2.0/3)
	near(t, "micro precision", r.Micro.Precision, 0.6)
	near(t, "micro recall", r.Micro.Recall, 0.75)
	near(t, "micro f1", r.Micro.F1, 2*0.6*0.75/1.35)
	near(t, "macro f1", r.Macro.F1, 2.0/3)
	near(t, "weighted recall", r.Weighted.Recall, (1*1+3*(2.0/3))/4)
	if r.PerType[0].Support != 1 || r.PerType[1].Support != 3 {
		t.Errorf("supports %d %d, want 1 3", r.PerType[0].Support, r.PerType[1].Support)
	}
}

func TestEntityScoresErrors(t *testing.T) {
	if _, err := EntityScores([][]string{{"O"}}, nil); err == nil {
		t.Error("sentence count mismatch accepted")
	}
	if _, err := EntityScores([][]string{{"O"}}, [][]string{{"O", "O"}}); err == nil {
		t.Error("tag count mismatch accepted")
	}
	// No predictions at all: precision undefined -> 0, noted.
	r, err := EntityScores([][]string{{"B-D"}}, [][]string{{"O"}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Micro != (Scores{}) || len(r.Undefined) != 1 {
		t.Errorf("got %+v undefined %q", r.Micro, r.Undefined)
	}
}

// The same predictions scored in default and strict mode: an I- without
// B- is an entity by default and nothing under strict IOB2.
func TestEntityScoresStrictVersusDefault(t *testing.T) {
	yTrue := [][]string{{"B-D", "I-D", "O", "B-C"}}
	yPred := [][]string{{"I-D", "I-D", "O", "B-C"}}
	def, err := EntityScores(yTrue, yPred)
	if err != nil {
		t.Fatal(err)
	}
	if def.Micro != (Scores{1, 1, 1}) || def.Macro != (Scores{1, 1, 1}) || def.Mode != "default" {
		t.Errorf("default: %+v", def)
	}
	near(t, "token accuracy", def.TokenAccuracy, 0.75)
	st, err := EntityScoresWith(yTrue, yPred, EntityOptions{Strict: true, Scheme: IOB2})
	if err != nil {
		t.Fatal(err)
	}
	// Predicted {C}, true {D, C}: micro P 1, R 1/2, F1 2/3; D all 0;
	// macro = weighted (support 1 each) = mean of C (1,1,1) and D (0,0,0).
	near(t, "strict micro P", st.Micro.Precision, 1)
	near(t, "strict micro R", st.Micro.Recall, 0.5)
	near(t, "strict micro F1", st.Micro.F1, 2.0/3)
	if st.Macro != (Scores{0.5, 0.5, 0.5}) || st.Weighted != (Scores{0.5, 0.5, 0.5}) {
		t.Errorf("strict macro %+v weighted %+v", st.Macro, st.Weighted)
	}
	if st.TrueEntities != 2 || st.PredEntities != 1 || st.Correct != 1 || st.Scheme != "IOB2" || st.Mode != "strict" {
		t.Errorf("strict counts %+v", st)
	}
	if len(st.Undefined) != 1 || !strings.Contains(st.Undefined[0], "precision of entity type D") {
		t.Errorf("undefined %q", st.Undefined)
	}

	// IOBES: B- I- without E- is an entity by default, not under strict.
	yTrue = [][]string{{"S-D", "O", "B-C", "E-C"}}
	yPred = [][]string{{"S-D", "O", "B-C", "I-C"}}
	def, _ = EntityScores(yTrue, yPred)
	st, err = EntityScoresWith(yTrue, yPred, EntityOptions{Strict: true, Scheme: IOBES})
	if err != nil {
		t.Fatal(err)
	}
	if def.Micro != (Scores{1, 1, 1}) {
		t.Errorf("IOBES default micro %+v", def.Micro)
	}
	near(t, "IOBES strict micro recall", st.Micro.Recall, 0.5)
	near(t, "IOBES strict macro f1", st.Macro.F1, 0.5)
	near(t, "IOBES token accuracy", st.TokenAccuracy, 0.75)
}

// Adjacent same-type entities (B-X B-X) must match one by one: merging
// them into one predicted span loses both.
func TestEntityScoresAdjacent(t *testing.T) {
	yTrue := [][]string{{"B-X", "B-X", "O"}}
	yPred := [][]string{{"B-X", "I-X", "O"}}
	r, err := EntityScores(yTrue, yPred)
	if err != nil {
		t.Fatal(err)
	}
	if r.TrueEntities != 2 || r.PredEntities != 1 || r.Correct != 0 || r.Micro != (Scores{}) {
		t.Errorf("adjacent: %+v", r)
	}
	near(t, "token accuracy", r.TokenAccuracy, 2.0/3)
}

// Empty input: no tokens, no entities, every score 0 (seqeval returns NaN
// or divides by zero here).
func TestEntityScoresEmpty(t *testing.T) {
	for _, in := range [][][]string{nil, {{}, {}}, {{"O", "O"}}} {
		r, err := EntityScoresWith(in, in, EntityOptions{Strict: true, Scheme: IOB2})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.PerType) != 0 || r.Micro != (Scores{}) || r.Macro != (Scores{}) || r.Weighted != (Scores{}) {
			t.Errorf("%q: %+v", in, r)
		}
		if wantAcc := map[bool]float64{true: 1, false: 0}[r.Tokens > 0]; r.TokenAccuracy != wantAcc {
			t.Errorf("%q: token accuracy %v", in, r.TokenAccuracy)
		}
	}
}

func TestEntityScoresInvalidTags(t *testing.T) {
	for _, tag := range []string{"X-PER", "PER", "", "O-PER", "L-PER"} {
		if _, err := EntityScores([][]string{{"O", tag}}, [][]string{{"O", "O"}}); err == nil || !strings.Contains(err.Error(), "true sentence 0 token 1") {
			t.Errorf("tag %q: err %v", tag, err)
		}
	}
	if _, err := EntityScoresWith([][]string{{"O"}}, [][]string{{"S-X"}}, EntityOptions{Strict: true, Scheme: IOB2}); err == nil || !strings.Contains(err.Error(), "predicted sentence 0") {
		t.Errorf("S- under strict IOB2: %v", err)
	}
	if _, err := EntityScoresWith([][]string{{"O"}}, [][]string{{"O"}}, EntityOptions{Strict: true}); err == nil {
		t.Error("strict without scheme accepted")
	}
}

func TestEntityResultJSON(t *testing.T) {
	r, err := EntityScores([][]string{{"B-Disease", "I-Disease", "O"}}, [][]string{{"B-Disease", "I-Disease", "O"}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"mode":"default"`, `"per_type":[{"type":"Disease","precision":1,"recall":1,"f1":1,"support":1,"predicted":1,"correct":1}]`,
		`"micro":{"precision":1,"recall":1,"f1":1}`, `"token_accuracy":1`, `"tokens":3`, `"true_entities":1`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON lacks %s:\n%s", want, b)
		}
	}
}

func TestEntityResultText(t *testing.T) {
	yTrue := [][]string{{"O", "O", "O", "B-MISC", "I-MISC", "I-MISC", "O"}, {"B-PER", "I-PER", "O"}}
	yPred := [][]string{{"O", "O", "B-MISC", "I-MISC", "I-MISC", "I-MISC", "O"}, {"B-PER", "I-PER", "O"}}
	r, err := EntityScoresWith(yTrue, yPred, EntityOptions{Strict: true, Scheme: IOB2})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := r.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	want := `entity-level scores (seqeval strict IOB2 mode)
              precision    recall        f1   support
        MISC     0.0000    0.0000    0.0000         1
         PER     1.0000    1.0000    1.0000         1

   micro avg     0.5000    0.5000    0.5000         2
   macro avg     0.5000    0.5000    0.5000         2
weighted avg     0.5000    0.5000    0.5000         2

token accuracy 0.8000 (10 tokens); 1 of 2 predicted entities correct
`
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}
