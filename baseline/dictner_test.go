package baseline

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/medbert/medbert/data"
)

func sent(words, tags string) data.Sentence {
	return data.Sentence{Tokens: strings.Fields(words), Tags: strings.Fields(tags)}
}

func TestDictionaryTag(t *testing.T) {
	d := BuildDictionary([]data.Sentence{
		sent("Breast cancer and ovarian cancer", "B-Disease I-Disease O B-Disease I-Disease"),
		sent("cancer of the breast cancer", "B-Disease O O O O"),
		sent("cisplatin causes nephrotoxicity", "B-Chemical O B-Disease"),
		sent("Cisplatin was given", "B-Disease O O"), // 1 Disease vs 1 Chemical: Chemical sorts first
	})
	if d.Len() != 5 {
		t.Errorf("%d entries, want 5", d.Len())
	}
	for _, c := range []struct{ in, want string }{
		// Longest match first: "breast cancer", not "cancer" alone.
		{"BREAST CANCER in breast tissue", "B-Disease I-Disease O O O"},
		{"ovarian cancer cancer", "B-Disease I-Disease B-Disease"},
		{"cisplatin nephrotoxicity", "B-Chemical B-Disease"},
		// Whole words only: "cancers" is not "cancer".
		{"cancers", "O"},
		{"", ""},
	} {
		if got := d.Tag(strings.Fields(c.in)); !slices.Equal(got, strings.Fields(c.want)) {
			t.Errorf("Tag(%q) = %v, want %s", c.in, got, c.want)
		}
	}
}

// TestEvaluateDictionary: gold has 3 entities; the dictionary (breast
// cancer, cancer) finds "breast cancer" (right), "cancer" in "lung cancer"
// (wrong span) and misses "glioma": P = 1/2, R = 1/3, F1 = 0.4; 4 of 7 words
// right (lung, cancer and glioma are not).
func TestEvaluateDictionary(t *testing.T) {
	train := []data.Sentence{sent("breast cancer and cancer", "B-Disease I-Disease O B-Disease")}
	eval := []data.Sentence{
		sent("Breast cancer", "B-Disease I-Disease"),
		sent("lung cancer or glioma .", "B-Disease I-Disease O B-Disease O"),
	}
	r, err := EvaluateDictionary(train, eval)
	if err != nil {
		t.Fatal(err)
	}
	m := r.Entities.Micro
	if math.Abs(m.Precision-0.5) > 1e-12 || math.Abs(m.Recall-1.0/3) > 1e-12 || math.Abs(m.F1-0.4) > 1e-12 {
		t.Errorf("micro %+v, want 0.5 / 0.333 / 0.4", m)
	}
	if math.Abs(r.Accuracy-4.0/7) > 1e-12 {
		t.Errorf("accuracy %v, want 4/7", r.Accuracy)
	}
}

// TestDictionaryCorpora reports the baseline on the full NCBI-disease and
// BC5CDR test splits when MEDBERT_NER_DATA names the folder holding
// ncbi-disease-ner/ and bc5cdr-ner/ (not in CI: the data is not in the
// repository).
func TestDictionaryCorpora(t *testing.T) {
	dir := os.Getenv("MEDBERT_NER_DATA")
	if dir == "" {
		t.Skip("MEDBERT_NER_DATA not set")
	}
	for _, corpus := range []string{"ncbi-disease-ner", "bc5cdr-ner"} {
		read := func(split string) []data.Sentence {
			s, _, err := data.ReadSentences(filepath.Join(dir, corpus, split+".tsv"), data.Options{})
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		r, err := EvaluateDictionary(read("train"), read("test"))
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d entries; test entity P %.4f R %.4f F1 %.4f, word accuracy %.4f",
			corpus, r.Dictionary.Len(), r.Entities.Micro.Precision, r.Entities.Micro.Recall, r.Entities.Micro.F1, r.Accuracy)
		for i, typ := range r.Entities.Types {
			t.Logf("  %s F1 %.4f (support %d)", typ, r.Entities.PerType[i].F1, r.Entities.PerType[i].Support)
		}
	}
}
