package tokenize

import "unicode/utf8"

// CutRunesPerToken is the margin of CutForTokens: it never keeps more than
// maxTokens*CutRunesPerToken+cutSlack code points. Clinical English runs
// at 4-5 characters per token, so the bound only binds on text that is
// mostly whitespace, control characters or words of over 100 characters.
const (
	CutRunesPerToken = 16
	cutSlack         = 1024
)

// CutForTokens returns a prefix of text, cut before tokenization, from
// which Tokenize gives the same first maxTokens tokens (with the same
// offsets) as from the whole text, so a 50 MB note truncated to 512 tokens
// costs a few KB instead of tokenizing all of it. maxTokens <= 0 returns
// text unchanged.
//
// The cut falls at the start of the (maxTokens+1)-th unit that yields at
// least one token: a special token, a punctuation or CJK character, or a
// run of word characters (in which accents, control characters and
// invalid bytes that the tokenizer drops do not count). Tokens before a
// unit never depend on the text after it, so the kept tokens are exact.
// When text needs more than maxTokens*CutRunesPerToken+1024 code points
// for that, it is cut there instead (an approximation that only affects
// text with long runs of spaces or words of over 100 characters).
//
// For a pair truncated with LongestFirst, cut each text with the full
// max_length: the kept segment lengths then match in every case where
// both segments are long.
func (t *Tokenizer) CutForTokens(text string, maxTokens int) string {
	if maxTokens <= 0 {
		return text
	}
	maxRunes := maxTokens*CutRunesPerToken + cutSlack
	if len(text) <= maxTokens { // every unit is at least one byte
		return text
	}
	search := text
	if n := maxRunes * utf8.UTFMax; n < len(search) {
		search = search[:n]
	}
	// With user never_split words a whole whitespace chunk may be one
	// token: count chunks, not punctuation, so the count stays a lower
	// bound.
	chunks := t.userNever != nil
	units, runes := 0, 0
	inWord, counted := false, false // inside a run of word characters; run already counted
	runStart := 0
	spStart, spEnd, _ := t.nextSpecial(search, 0)
	unit := func() bool { // counts one unit; true when it is one too many
		units++
		return units > maxTokens
	}
	for i := 0; i < len(text); {
		if i == spStart {
			if unit() {
				return text[:i]
			}
			inWord, counted = false, false
			i = spEnd
			spStart, spEnd, _ = t.nextSpecial(search, i)
			continue
		}
		runes++
		if runes > maxRunes {
			return text[:i]
		}
		r, size := rune(text[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(text[i:])
		}
		f := flagsOf(r)
		switch {
		case f&fSpace != 0:
			inWord, counted = false, false
		case f&fDrop != 0:
			// Removed before splitting: neither a unit nor a break.
		case !chunks && f&(fPunct|fCJK) != 0:
			inWord, counted = false, false
			if unit() {
				return text[:i]
			}
		default:
			if !inWord {
				inWord, counted, runStart = true, false, i
			}
			if !counted && f&fMn == 0 {
				counted = true
				if unit() {
					return text[:runStart]
				}
			}
		}
		i += size
	}
	return text
}
