package tokenize

import (
	"slices"
	"testing"
)

// FuzzTokenize feeds arbitrary bytes, invalid UTF-8 included:
//
//	go test -run '^$' -fuzz FuzzTokenize -fuzztime 90s -fuzzminimizetime 3s ./tokenize/
//
// (-fuzzminimizetime: the default of 60s per new input lets the fuzzer
// spend most of a short run shrinking long interesting inputs at 0
// execs/s; the seeds below cover the tokenizer's paths so fewer inputs
// count as new).
//
// It checks that tokenizing never panics, that offsets are in bounds,
// non-empty and monotone, that they map back to the normalised text
// (checkOffsets), that the ASCII fast path and the general path agree, and
// that windowed, padded encodings keep their shape, and that CutForTokens
// keeps the first tokens exactly.
func FuzzTokenize(f *testing.F) {
	testTokenizers(f)
	for _, g := range goldenCases(f, "cased") {
		f.Add(g.Text)
	}
	for _, s := range []string{
		"", "\xff", "a\xffb", "\xe2\x82", "e\u0301\xcc", "[CLS]x[SEP]", "[CL\u200bS]", "[cls]",
		"5mg/kg q.i.d.", "Na+\u00a0135", "İ\u0307", "≠≮", "\u1fef", "a\x00b\x7f", "\u0130STANBUL",
		"한국어", "\U0002f800\u0301", "e\x01\u0301", "x\u2028y", "ＡＢＣ", "[SEP][SEP]",
		// Clinical shapes: units, vitals, abbreviations, lists, dates.
		"BP 150/90 mmHg, HR 112 bpm, SpO2 94% on RA.", "Hx: HTN, DM2, CKD III; s/p CABG x3 (2019).",
		"Rx: metoprolol 25 mg PO BID; ASA 81mg qd", "T 38.5°C, WBC 14.2 x10^9/L ↑", "pt c/o SOB & CP ->ED",
		"1) chest pain\n2) dyspnea\t3) nausea", "##ing ##s", "[MASK] pain [UNK]", "[cls] [Sep] [PAD]",
		// Long words (over 100 code points become [UNK]), accents, scripts.
		"pneumonoultramicroscopicsilicovolcanoconiosis" + "x" + "antidisestablishmentarianismfloccinaucinihilipilification" + "y",
		"Café naïve Zürich Ελληνικά русский العربية עברית हिन्दी 日本語のテキスト 中文病历",
		"👩\u200d⚕️ 🩺 💊", "a\u0300\u0301\u0302\u0303\u0304b", "\ufeffBOM text", "ﬁnal ﬂuid ǅ", "  \t\r\n  ",
	} {
		f.Add(s)
	}
	f.Fuzz(fuzzOne)
}

func fuzzOne(t *testing.T, text string) {
	{
		cased, uncased := testTokenizers(t)
		for i, tok := range []*Tokenizer{cased, uncased} {
			gen := []*Tokenizer{genCased, genUnc}[i]
			toks := tok.Tokenize(text)
			prev := Token{}
			for k, tk := range toks {
				if tk.Start < 0 || tk.End > len(text) || tk.Start >= tk.End {
					t.Fatalf("%q: token %d offsets [%d,%d) out of bounds", text, k, tk.Start, tk.End)
				}
				if k > 0 && (tk.Start < prev.Start || tk.End < prev.End) {
					t.Fatalf("%q: offsets not monotone: %v then %v", text, prev, tk)
				}
				if tk.ID < 0 || tk.ID >= tok.Vocab().Len() {
					t.Fatalf("%q: id %d out of range", text, tk.ID)
				}
				prev = tk
			}
			if g := gen.Tokenize(text); !slices.Equal(g, toks) {
				t.Fatalf("%q: fast path %v, general path %v", text, toks, g)
			}
			checkOffsets(t, tok, text)

			e, err := tok.Encode(text, Options{MaxLength: 12, Truncation: LongestFirst, Stride: 3, ReturnOverflowing: true, Padding: PadMaxLength})
			if err != nil {
				t.Fatal(err)
			}
			flat, _ := Flatten([]Encoding{e})
			covered := 0
			for _, w := range flat {
				if len(w.IDs) != 12 || len(w.Offsets) != 12 || len(w.Tokens) != 12 || w.IDs[0] != tok.ClsID() {
					t.Fatalf("%q: window shape %d/%d/%d, first %d", text, len(w.IDs), len(w.Offsets), len(w.Tokens), w.IDs[0])
				}
				covered += countSeq(w, 0)
			}
			if want := len(toks) + (len(flat)-1)*3; len(toks) > 10 && covered != want {
				t.Fatalf("%q: windows hold %d tokens, want %d (stride 3)", text, covered, want)
			}
			// CutForTokens keeps the first n tokens exactly (ids only
			// when the rune margin cut inside an over-long word).
			for _, n := range []int{1, 3, 7} {
				cut, margin := tok.cutForTokens(text, n)
				got, want := tok.Tokenize(cut), toks[:min(n, len(toks))]
				if margin {
					// Cut by the rune margin: possibly fewer tokens, the
					// ids it keeps still match.
					k := min(len(got), len(want))
					if !slices.Equal(ids(got[:k]), ids(want[:k])) {
						t.Fatalf("%q margin cut for %d tokens to %q: %v, want %v", text, n, cut, got[:k], want[:k])
					}
					continue
				}
				if len(got) < len(want) || !slices.Equal(got[:len(want)], want) {
					t.Fatalf("%q cut for %d tokens to %q: %v, want %v", text, n, cut, got, want)
				}
			}
			co, nr := e.CharOffsets(text, ""), len([]rune(text))
			for k, o := range co {
				if o[0] > o[1] || o[1] > nr {
					t.Fatalf("%q: char offset %d %v out of bounds", text, k, o)
				}
			}
		}
	}
}
