package tokenize

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestClinicalCases checks hand-written tricky clinical inputs whose
// expected tokens were derived by hand from the HF algorithm (each case's
// "note" says what it pins down) and the two bert-base vocabularies.
func TestClinicalCases(t *testing.T) {
	cased, uncased := testTokenizers(t)
	type clinicalCase struct {
		Text   string   `json:"text"`
		Lower  bool     `json:"lower"`
		Tokens []string `json:"tokens"`
		Note   string   `json:"note"`
	}
	cases := readJSONL[clinicalCase](t, filepath.Join(testdataDir, "tokenize", "clinical_cases.jsonl"))
	if len(cases) < 20 {
		t.Fatalf("only %d clinical cases", len(cases))
	}
	for _, c := range cases {
		tok := cased
		if c.Lower {
			tok = uncased
		}
		got := tok.TokenStrings(tok.Tokenize(c.Text))
		if !slices.Equal(got, c.Tokens) {
			t.Errorf("%q (lower=%v, %s):\n got %q\nwant %q", c.Text, c.Lower, c.Note, got, c.Tokens)
		}
		checkOffsets(t, tok, c.Text)
	}

	// A 100-character word is still split (limit is inclusive).
	if got := cased.TokenStrings(cased.Tokenize(strings.Repeat("a", 100))); len(got) != 51 || got[0] != "a" || got[1] != "##aa" {
		t.Errorf("100 a's: %d tokens starting %q", len(got), got[:min(3, len(got))])
	}
	// 40 combining acutes: Python's NFC composes the first and keeps 39;
	// x/text would insert a U+034F after 30 marks, which must not leak.
	got := cased.TokenStrings(cased.Tokenize("a" + strings.Repeat("\u0301", 40)))
	if len(got) != 40 || got[0] != "\u00e1" || got[39] != "##\u0301" {
		t.Errorf("long mark run: %d tokens %q", len(got), got[:min(3, len(got))])
	}
	// Offsets of a [UNK] cover the whole word, dropped characters included.
	toks := uncased.Tokenize("ok \U0001F600\u200b\U0001F600 ok")
	if len(toks) != 3 || toks[1].ID != uncased.UnkID() || toks[1].Start != 3 || toks[1].End != 14 {
		t.Errorf("emoji word: %+v", toks)
	}
}
