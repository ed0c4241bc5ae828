package tokenize

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

func TestGoldenPairs(t *testing.T) {
	cased, uncased := testTokenizers(t)
	cases := readJSONL[pairCase](t, filepath.Join(testdataDir, "golden", "tokenizer", "tokenizer_pairs.jsonl"))
	if len(cases) != 22 {
		t.Fatalf("%d pair cases, want 22", len(cases))
	}
	for i, c := range cases {
		tok := cased
		if c.Vocab == "bert-base-uncased" {
			tok = uncased
		}
		if c.DoLowerCase != tok.Settings().DoLowerCase || c.Truncation != "only_second" || c.Padding != "max_length" {
			t.Fatalf("case %d: unexpected settings %+v", i, c)
		}
		e, err := tok.EncodePair(c.Question, c.Context, Options{MaxLength: c.MaxLength, Truncation: OnlySecond, Padding: PadMaxLength})
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		if !slices.Equal(e.IDs, c.InputIDs) || !slices.Equal(e.TypeIDs, c.TokenTypeIDs) ||
			!slices.Equal(e.AttentionMask, c.AttentionMask) || !slices.Equal(e.Tokens, c.Tokens) {
			t.Errorf("case %d (%s) %q / %q:\n got %v %v %v\nwant %v %v %v", i, c.Vocab, c.Question, c.Context,
				e.IDs, e.TypeIDs, e.AttentionMask, c.InputIDs, c.TokenTypeIDs, c.AttentionMask)
		}
		if removed := len(tok.Tokenize(c.Context)) - countSeq(e, 1); removed != c.Removed {
			t.Errorf("case %d: removed %d context tokens, want %d", i, removed, c.Removed)
		}
	}
}

func countSeq(e Encoding, seq int) int {
	n := 0
	for _, s := range e.SequenceIDs {
		if s == seq {
			n++
		}
	}
	return n
}

// refNormalize is an independent, string-level rendering of the golden
// README's normalisation (per-char lower, clean, NFC, lower, NFD, drop Mn),
// minus whitespace, for checking that offsets point at the right text.
func refNormalize(s string, lower, strip bool) string {
	var b strings.Builder
	for _, r := range s {
		if r == 0 || r == unicode.ReplacementChar || unicode.IsSpace(r) || unicode.In(r, unicode.Zs, unicode.Zl, unicode.Zp) {
			continue
		}
		if !unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S) {
			continue // C* and unassigned
		}
		switch {
		case lower && r == 'İ':
			b.WriteString("i\u0307")
		case lower:
			b.WriteRune(unicode.ToLower(r))
		default:
			b.WriteRune(r)
		}
	}
	out := norm.NFC.String(b.String())
	if strip {
		out = strings.Map(func(r rune) rune {
			if unicode.Is(unicode.Mn, r) {
				return -1
			}
			return r
		}, norm.NFD.String(out))
	}
	return out
}

// TestGoldenOffsets checks, for every golden text, that each token's offset
// range of the original text, normalised the same way, spells the token
// without "##". Tokens normalised from one original character (a Hangul
// syllable decomposed into jamo, for instance) share its range, so runs of
// overlapping ranges are compared as one group.
func TestGoldenOffsets(t *testing.T) {
	cased, uncased := testTokenizers(t)
	for _, c := range []struct {
		name string
		tok  *Tokenizer
	}{{"cased", cased}, {"uncased", uncased}} {
		for _, g := range goldenCases(t, c.name) {
			checkOffsets(t, c.tok, g.Text)
		}
	}
}

func checkOffsets(t *testing.T, tok *Tokenizer, text string) {
	t.Helper()
	toks := tok.Tokenize(text)
	lower := tok.Settings().DoLowerCase
	for i := 0; i < len(toks); {
		j, end := i+1, toks[i].End
		for j < len(toks) && toks[j].Start < end {
			end = max(end, toks[j].End)
			j++
		}
		start := toks[i].Start
		if start < 0 || end > len(text) || start >= end {
			t.Fatalf("%q: token %d has offsets [%d,%d)", text, i, start, end)
		}
		var want strings.Builder
		unk, special := false, false
		for _, tk := range toks[i:j] {
			s := tok.Vocab().Token(tk.ID)
			unk = unk || tk.ID == tok.UnkID()
			special = special || tok.neverSplit[s]
			want.WriteString(strings.TrimPrefix(s, "##"))
		}
		got := refNormalize(text[start:end], lower, lower)
		if special && !unk {
			got = refNormalize(text[start:end], false, false) // specials are not lowered
		}
		if !unk && got != want.String() {
			t.Errorf("%q: tokens %d..%d %q have offsets [%d,%d) = %q, normalised %q", text, i, j-1, want.String(), start, end, text[start:end], got)
		}
		i = j
	}
}

func TestEncodeSingle(t *testing.T) {
	cased, _ := testTokenizers(t)
	text := "Na+ 135 mmol/L"
	e, err := cased.Encode(text, Options{})
	if err != nil {
		t.Fatal(err)
	}
	wantTok := []string{"[CLS]", "Na", "+", "135", "mm", "##ol", "/", "L", "[SEP]"}
	if !slices.Equal(e.Tokens, wantTok) {
		t.Fatalf("tokens %q, want %q", e.Tokens, wantTok)
	}
	wantOff := [][2]int{{0, 0}, {0, 2}, {2, 3}, {4, 7}, {8, 10}, {10, 12}, {12, 13}, {13, 14}, {0, 0}}
	if !slices.Equal(e.Offsets, wantOff) {
		t.Fatalf("offsets %v, want %v", e.Offsets, wantOff)
	}
	if !slices.Equal(e.SequenceIDs, []int{-1, 0, 0, 0, 0, 0, 0, 0, -1}) || !e.SpecialMask[0] || e.SpecialMask[1] || !e.SpecialMask[8] {
		t.Fatalf("sequence ids %v special %v", e.SequenceIDs, e.SpecialMask)
	}
	// Code point offsets differ from byte offsets after a 2-byte character.
	e, _ = cased.Encode("Sjögren 5 µg", Options{NoSpecialTokens: true})
	if got, want := e.Tokens, []string{"S", "##j", "##ö", "##gren", "5", "µ", "##g"}; !slices.Equal(got, want) {
		t.Fatalf("tokens %q, want %q", got, want)
	}
	if got, want := e.Offsets, [][2]int{{0, 1}, {1, 2}, {2, 4}, {4, 8}, {9, 10}, {11, 13}, {13, 14}}; !slices.Equal(got, want) {
		t.Fatalf("byte offsets %v, want %v", got, want)
	}
	if got, want := e.CharOffsets("Sjögren 5 µg", ""), [][2]int{{0, 1}, {1, 2}, {2, 3}, {3, 7}, {8, 9}, {10, 11}, {11, 12}}; !slices.Equal(got, want) {
		t.Fatalf("char offsets %v, want %v", got, want)
	}
	// RuneOffsets does the same for bare spans, also out of order, and an
	// invalid byte (\xff) counts as one code point.
	if got, want := RuneOffsets("Sjögren\xff µg", [][2]int{{2, 4}, {0, 8}, {10, 13}}), [][2]int{{2, 3}, {0, 7}, {9, 11}}; !slices.Equal(got, want) {
		t.Fatalf("RuneOffsets %v, want %v", got, want)
	}
}

func TestTruncationAndWindows(t *testing.T) {
	_, unc := testTokenizers(t)
	ids := func(e Encoding) []int { return e.IDs }
	// "a b c d e f g h" -> 8 one-token words 1037.. (a=1037, b=1038, ...).
	text := "a b c d e f g h"
	e, err := unc.Encode(text, Options{MaxLength: 6, Truncation: LongestFirst, ReturnOverflowing: true, Stride: 1})
	if err != nil {
		t.Fatal(err)
	}
	// Windows of 4 tokens, step 3: a-d, d-g, g-h.
	want := [][]int{
		{101, 1037, 1038, 1039, 1040, 102},
		{101, 1040, 1041, 1042, 1043, 102},
		{101, 1043, 1044, 102},
	}
	got := [][]int{ids(e)}
	for _, o := range e.Overflowing {
		got = append(got, ids(o))
	}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("windows %v, want %v", got, want)
	}
	// Offsets of the second window still index the original text.
	if e.Overflowing[0].Offsets[1] != [2]int{6, 7} {
		t.Fatalf("window 2 first offset %v, want [6 7]", e.Overflowing[0].Offsets[1])
	}

	// QA-style: question kept whole, context windows with stride, padded.
	q, ctx := "why", "a b c d e f g"
	e, err = unc.EncodePair(q, ctx, Options{MaxLength: 8, Truncation: OnlySecond, Stride: 2, ReturnOverflowing: true, Padding: PadMaxLength})
	if err != nil {
		t.Fatal(err)
	}
	flat, sample := Flatten([]Encoding{e})
	wantPair := [][]int{
		{101, 2339, 102, 1037, 1038, 1039, 1040, 102},
		{101, 2339, 102, 1039, 1040, 1041, 1042, 102},
		{101, 2339, 102, 1041, 1042, 1043, 102, 0},
	}
	got = nil
	for _, f := range flat {
		got = append(got, f.IDs)
	}
	if !slices.EqualFunc(got, wantPair, slices.Equal) || !slices.Equal(sample, []int{0, 0, 0}) {
		t.Fatalf("pair windows %v (samples %v), want %v", got, sample, wantPair)
	}
	if !slices.Equal(flat[2].TypeIDs, []int{0, 0, 0, 1, 1, 1, 1, 0}) || !slices.Equal(flat[2].AttentionMask, []int{1, 1, 1, 1, 1, 1, 1, 0}) {
		t.Fatalf("types %v mask %v", flat[2].TypeIDs, flat[2].AttentionMask)
	}

	// longest_first on a pair: remove from the longer, then alternate
	// starting with the second (HF slow tokenizer).
	for _, c := range []struct{ la, lb, k, wa, wb int }{
		{10, 10, 15, 3, 2}, {10, 2, 5, 5, 2}, {2, 10, 5, 2, 5}, {4, 5, 4, 3, 2}, {3, 3, 1, 3, 2},
	} {
		if a, b := longestFirst(c.la, c.lb, c.k); a != c.wa || b != c.wb {
			t.Errorf("longestFirst(%d,%d,%d) = %d,%d want %d,%d", c.la, c.lb, c.k, a, b, c.wa, c.wb)
		}
	}
	e, err = unc.EncodePair("a b c d", "e f", Options{MaxLength: 7, Truncation: LongestFirst})
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{101, 1037, 1038, 102, 1041, 1042, 102}; !slices.Equal(e.IDs, want) {
		t.Fatalf("longest_first pair %v, want %v", e.IDs, want)
	}

	// Errors instead of silent surprises.
	for name, run := range map[string]func() error{
		"stride too big": func() error {
			_, err := unc.Encode(text, Options{MaxLength: 6, Truncation: LongestFirst, ReturnOverflowing: true, Stride: 4})
			return err
		},
		"question too long": func() error {
			_, err := unc.EncodePair("a b c d e f", "g", Options{MaxLength: 6, Truncation: OnlySecond})
			return err
		},
		"only_second single": func() error {
			_, err := unc.Encode(text, Options{MaxLength: 6, Truncation: OnlySecond})
			return err
		},
		"overflow longest_first pair": func() error {
			_, err := unc.EncodePair(text, text, Options{MaxLength: 6, Truncation: LongestFirst, ReturnOverflowing: true})
			return err
		},
	} {
		if run() == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestEncodeBatchMatchesSerial(t *testing.T) {
	_, unc := testTokenizers(t)
	var texts []string
	for _, g := range goldenCases(t, "uncased") {
		texts = append(texts, g.Text)
	}
	opts := Options{MaxLength: 24, Truncation: LongestFirst, Stride: 4, ReturnOverflowing: true, Padding: PadLongest}
	batch, err := unc.EncodeBatch(texts, opts)
	if err != nil {
		t.Fatal(err)
	}
	flat, sample := Flatten(batch)
	for _, f := range flat {
		if len(f.IDs) != 24 {
			t.Fatalf("padded length %d, want 24 (longest window)", len(f.IDs))
		}
	}
	k := 0
	serialOpts := opts
	serialOpts.Padding = PadMaxLength
	for i, text := range texts {
		e, err := unc.Encode(text, serialOpts)
		if err != nil {
			t.Fatal(err)
		}
		sf, _ := Flatten([]Encoding{e})
		for _, s := range sf {
			if sample[k] != i || !slices.Equal(flat[k].IDs, s.IDs) || !slices.Equal(flat[k].Offsets, s.Offsets) {
				t.Fatalf("input %d window mismatch", i)
			}
			k++
		}
	}
	if k != len(flat) {
		t.Fatalf("%d flat windows, serial %d", len(flat), k)
	}
}
