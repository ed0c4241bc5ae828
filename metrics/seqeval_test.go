package metrics

import (
	"reflect"
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
	want := []ClassScores{{Scores{0, 0, 0}, 1}, {Scores{1, 1, 1}, 1}}
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
