package tokenize

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func ids(toks []Token) []int {
	out := make([]int, len(toks))
	for i, tk := range toks {
		out[i] = tk.ID
	}
	return out
}

// The cut text gives exactly the first maxTokens tokens (ids and offsets)
// of the whole text, on the golden texts (accents, CJK, controls,
// specials, long words) and on random mixtures of their characters.
func TestCutForTokensExact(t *testing.T) {
	cased, uncased := testTokenizers(t)
	var texts []string
	for _, g := range goldenCases(t, "cased") {
		texts = append(texts, g.Text)
	}
	pieces := []string{"chest", " ", "pain", ".", "[SEP]", "[CLS]", "\x00", "\u0301", "é", "中文", "\t\n", "unbelievably", strings.Repeat("x", 120), "-", "  ", "\xff", "I.V.", "mg/dL", "[", "]"}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 300 {
		var b strings.Builder
		for range rng.IntN(60) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		texts = append(texts, b.String())
	}
	for _, tok := range []*Tokenizer{cased, uncased, genCased} {
		for _, text := range texts {
			full := tok.Tokenize(text)
			for _, n := range []int{1, 2, 3, 5, 8, 13, 40} {
				cut, margin := tok.cutForTokens(text, n)
				if !strings.HasPrefix(text, cut) {
					t.Fatalf("cut of %q is not a prefix", text)
				}
				got := tok.Tokenize(cut)
				want := full[:min(n, len(full))]
				if margin {
					// Cut by the margin (inside a word of over 100
					// characters or a run of removed characters): the
					// ids it keeps match, an [UNK] may end at the cut.
					k := min(len(got), len(want))
					if !slices.Equal(ids(got[:k]), ids(want[:k])) {
						t.Fatalf("text %q, %d tokens: margin cut gives %v, want ids of %v", text, n, got, want)
					}
					continue
				}
				if len(got) < len(want) || !slices.Equal(got[:len(want)], want) {
					t.Fatalf("text %q, %d tokens: cut to %q gives %v, want prefix %v", text, n, cut, got, want)
				}
			}
		}
	}
}

// A 50 MB line is cut to a few KB before tokenization: encoding it with
// truncation to 128 tokens allocates well under a megabyte, and a 50 MB
// word without spaces is cut by the rune margin.
func TestCutForTokensBoundsMemory(t *testing.T) {
	_, uncased := testTokenizers(t)
	line := strings.Repeat("Pt c/o chest pain, SOB; BP 150/90 mmHg. ", 50<<20/40)
	word := strings.Repeat("x", 50<<20)
	for name, text := range map[string]string{"line": line, "word": word} {
		var enc Encoding
		var err error
		var cut string
		grew := allocDuring(func() {
			cut = uncased.CutForTokens(text, 128)
			enc, err = uncased.Encode(cut, Options{MaxLength: 128, Truncation: LongestFirst})
		})
		if err != nil {
			t.Fatal(err)
		}
		if enc.Len() != 128 && name == "line" {
			t.Errorf("%s: %d positions, want 128", name, enc.Len())
		}
		if len(cut) > 128*CutRunesPerToken+cutSlack {
			t.Errorf("%s: kept %d bytes", name, len(cut))
		}
		if grew > 512<<10 {
			t.Errorf("%s: cutting and encoding a %d-byte text allocated %d bytes", name, len(text), grew)
		}
	}
	if got := uncased.CutForTokens("short text", 128); got != "short text" {
		t.Errorf("short text cut to %q", got)
	}
}
