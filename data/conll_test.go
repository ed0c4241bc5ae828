package data

import (
	"reflect"
	"strings"
	"testing"
)

func TestReadSentencesNCBI(t *testing.T) {
	path := td + "ncbi_small.tsv"
	s, sk, err := ReadSentences(path, Options{})
	if err != nil || sk.Count != 0 {
		t.Fatal(err, sk)
	}
	if len(s) != 3 {
		t.Fatalf("%d sentences, want 3", len(s))
	}
	if len(s[0].Tokens) != 14 || s[0].Tokens[8] != "adenomatous" || s[0].Tags[8] != "B-Disease" || s[0].Tags[9] != "I-Disease" {
		t.Errorf("sentence 0: %v %v", s[0].Tokens, s[0].Tags)
	}
	if s[1].Pos.Line != 16 || len(s[1].Tokens) != 37 || s[2].Pos.Line != 54 {
		t.Errorf("positions %v %v, lens %d", s[1].Pos, s[2].Pos, len(s[1].Tokens))
	}
	want := Sentence{
		Tokens: []string{"Selegiline", "-", "induced", "postural", "hypotension"},
		Tags:   []string{"B-Chemical", "O", "O", "B-Disease", "I-Disease"},
		Pos:    Pos{path, 54},
	}
	if !reflect.DeepEqual(s[2], want) {
		t.Errorf("last sentence %+v", s[2])
	}
	l, err := BuildTagLabels(s)
	if err != nil {
		t.Fatal(err)
	}
	if got := l.Names(); !reflect.DeepEqual(got, []string{"B-Chemical", "B-Disease", "I-Disease", "O"}) {
		t.Errorf("tag labels %v", got)
	}
}

func TestReadSentencesErrors(t *testing.T) {
	path := td + "bad_ner.tsv"
	_, _, err := ReadSentences(path, Options{})
	wantErr(t, err, path+":5", "tag")
	s, sk, err := ReadSentences(path, Options{SkipBadRows: true})
	if err != nil {
		t.Fatal(err)
	}
	if sk.Count != 2 || len(s) != 2 {
		t.Fatalf("skipped %d sentences, kept %d; want 2 and 2", sk.Count, len(s))
	}
	wantErr(t, sk.First[1], path+":9", "tag")
	if s[1].Tokens[0] != "Good" || s[1].Pos.Line != 11 {
		t.Errorf("kept %+v", s[1])
	}
}

func TestParseSentencesVariants(t *testing.T) {
	// CoNLL-2003 style: space-separated columns, tag last, DOCSTART ignored.
	in := "-DOCSTART- -X- -X- O\n\nEU NNP B-NP B-ORG\nrejects VBZ B-VP O\n"
	s, _, err := ParseSentences(strings.NewReader(in), "c.txt", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(s) != 1 || !reflect.DeepEqual(s[0].Tags, []string{"B-ORG", "O"}) || s[0].Pos.Line != 3 {
		t.Errorf("got %+v", s)
	}
	// Untagged input for prediction.
	s, _, err = ParseSentences(strings.NewReader("Aspirin\nworks\r\n"), "u.txt", Options{Unlabeled: true})
	if err != nil || len(s) != 1 || s[0].Tags != nil || s[0].Tokens[1] != "works" {
		t.Errorf("got %+v, %v", s, err)
	}
	// Mixing tagged and untagged lines is an error.
	_, _, err = ParseSentences(strings.NewReader("a\tO\nb\n"), "m.txt", Options{Unlabeled: true})
	wantErr(t, err, "m.txt:2", "tag")
	// ReadSentences refuses a table format.
	if _, _, err := ReadSentences("x.csv", Options{}); err == nil {
		t.Error("CSV accepted as NER data")
	}
}
