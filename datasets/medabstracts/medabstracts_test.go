package medabstracts

import (
	"reflect"
	"strings"
	"testing"

	"github.com/medbert/medbert/data"
)

func TestLoad(t *testing.T) {
	ex, labels, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	wantLabels := []string{"neoplasms", "digestive system diseases", "nervous system diseases",
		"cardiovascular diseases", "general pathological conditions"}
	if !reflect.DeepEqual(labels, wantLabels) {
		t.Fatalf("labels %q", labels)
	}
	if len(ex) != 2888 {
		t.Fatalf("%d abstracts, want 2888", len(ex))
	}
	// Class counts from the corpus README (labels 1..5).
	count := map[string]int{}
	for _, e := range ex {
		count[e.Label]++
	}
	for i, want := range []int{633, 299, 385, 610, 961} {
		if count[labels[i]] != want {
			t.Errorf("%s: %d rows, want %d", labels[i], count[labels[i]], want)
		}
	}
	// Row 1 is label 3 and starts "Obstructive sleep apnea" — a nervous
	// system disease, which checks the 1-based label → name mapping.
	if ex[0].Label != "nervous system diseases" || !strings.HasPrefix(ex[0].Text, "Obstructive sleep apnea following topical") || ex[0].Pos.Line != 2 {
		t.Errorf("row 1: %q %q %v", ex[0].Label, ex[0].Text[:40], ex[0].Pos)
	}
	if !strings.Contains(License, "Attribution-ShareAlike 3.0") {
		t.Error("licence text missing")
	}
}

func TestSplit(t *testing.T) {
	s, err := Split(DefaultSeed)
	if err != nil {
		t.Fatal(err)
	}
	n := len(s.Train) + len(s.Validation) + len(s.Test)
	if n != 2888 {
		t.Fatalf("split sizes sum to %d", n)
	}
	// Golden sizes: pin the default split (README.md documents them).
	got := []int{len(s.Train), len(s.Validation), len(s.Test)}
	t.Logf("train/validation/test = %v", got)
	if want := []int{2028, 287, 573}; !reflect.DeepEqual(got, want) {
		t.Errorf("sizes %v, want %v", got, want)
	}
	inTrain := map[string]bool{}
	for _, e := range s.Train {
		inTrain[e.Text] = true
	}
	for _, e := range append(append([]data.Example{}, s.Validation...), s.Test...) {
		if inTrain[e.Text] {
			t.Fatalf("abstract %s of validation/test also in train", e.ID)
		}
	}
	again, _ := Split(DefaultSeed)
	if !reflect.DeepEqual(again.Test, s.Test) {
		t.Error("split not deterministic")
	}
}
