package suggest

import "testing"

func TestDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		d    int
	}{{"", "", 0}, {"", "abc", 3}, {"kitten", "sitting", 3}, {"flaw", "lawn", 2}, {"same", "same", 0}} {
		if got := distance(c.a, c.b); got != c.d {
			t.Errorf("distance(%q, %q) = %d, want %d", c.a, c.b, got, c.d)
		}
	}
}

func TestClosest(t *testing.T) {
	names := []string{"loss", "accuracy", "f1_macro", "f1_micro", "f1_weighted"}
	for _, c := range []struct {
		word, want string
		ok         bool
	}{
		{"f1-macro", "f1_macro", true}, // dash for underscore costs nothing
		{"F1_Macro", "f1_macro", true},
		{"acuracy", "accuracy", true},
		{"f1macro", "f1_macro", true},
		{"perplexity", "", false},
	} {
		got, ok := Closest(c.word, names)
		if got != c.want || ok != c.ok {
			t.Errorf("Closest(%q) = %q, %v; want %q, %v", c.word, got, ok, c.want, c.ok)
		}
	}
	if got, ok := Closest("batchsize", []string{"batch-size", "max-seq-length"}); !ok || got != "batch-size" {
		t.Errorf("batchsize: %q %v", got, ok)
	}
}
