package tokenize

import "unicode/utf8"

// CutRunesPerToken is the margin of CutForTokens: it never keeps more than
// maxTokens*CutRunesPerToken+cutSlack code points. Clinical English runs
// at 4-5 characters per token, so the bound only binds on text that is
// mostly whitespace, control characters or words of over 100 characters.
const (
	CutRunesPerToken = 16
	cutSlack         = 1024
	maxWordChars     = 100 // HF max_input_chars_per_word: a longer word is one [UNK]
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
// for that, it is cut there instead (before the word in progress, unless
// that word is over 100 characters and one [UNK] either way, which then
// ends at the cut): the tokens it keeps are still those of the whole
// text, but there may be fewer than maxTokens. Only text with long runs of
// spaces or removed characters, or words of over 100 characters, gets
// there.
//
// For a pair truncated with LongestFirst, cut each text with the full
// max_length: the kept segment lengths then match in every case where
// both segments are long.
func (t *Tokenizer) CutForTokens(text string, maxTokens int) string {
	cut, _ := t.cutForTokens(text, maxTokens)
	return cut
}

// cutForTokens is CutForTokens; margin reports a cut by the rune margin.
func (t *Tokenizer) cutForTokens(text string, maxTokens int) (cut string, margin bool) {
	if maxTokens <= 0 {
		return text, false
	}
	maxRunes := maxTokens*CutRunesPerToken + cutSlack
	if len(text) <= maxTokens { // every unit is at least one byte
		return text, false
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
	runStart, base := 0, 0          // where the current word run starts; its non-mark characters
	punctEnd := -1                  // where the last punctuation or CJK unit ended
	spStart, spEnd, _ := t.nextSpecial(search, 0)
	unit := func() bool { // counts one unit; true when it is one too many
		units++
		return units > maxTokens
	}
	chunkStart, chunkBegin := true, 0
	// cutAt cuts at x inside the chunk that began at chunkBegin; when the
	// kept part of the chunk would read, once removed characters are
	// gone, as a special token ("[SEP\xe0]" of "[SEP\xe0]0"), the whole
	// chunk is kept instead, so it tokenizes as in the full text.
	cutAt := func(x int) string {
		if x > chunkBegin {
			if _, ok := t.specialChunk(text[:x], chunkBegin, -1); ok {
				end := x
				for end < len(text) && end != spStart {
					r, size := utf8.DecodeRuneInString(text[end:])
					if flagsOf(r)&fSpace != 0 {
						break
					}
					end += size
				}
				return text[:end]
			}
		}
		return text[:x]
	}
	for i := 0; i < len(text); {
		if i == spStart {
			if unit() {
				return text[:i], false
			}
			inWord, counted, chunkStart = false, false, true
			i = spEnd
			spStart, spEnd, _ = t.nextSpecial(search, i)
			continue
		}
		if chunkStart {
			chunkStart, chunkBegin = false, i
			// A chunk that is a special token once removed characters
			// are gone ("[CL\u200bS]") is one token, not three units.
			if end, ok := t.specialChunk(text, i, spStart); ok {
				if unit() {
					return text[:i], false
				}
				runes += utf8.RuneCountInString(text[i:end])
				i = end
				continue
			}
		}
		runes++
		if runes > maxRunes {
			if inWord && base <= maxWordChars {
				// Cutting a word changes its pieces; drop it whole.
				// (A longer word is one [UNK] either way.)
				return text[:runStart], true
			}
			return text[:i], true
		}
		r, size := rune(text[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(text[i:])
		}
		f := flagsOf(r)
		switch {
		case f&fSpace != 0:
			inWord, counted, chunkStart = false, false, true
		case f&fDrop != 0:
			// Removed before splitting: neither a unit nor a break (nor
			// an end to marks that follow punctuation).
			if punctEnd == i {
				punctEnd = i + size
			}
		case !chunks && f&(fPunct|fCJK) != 0:
			inWord, counted = false, false
			if unit() {
				return cutAt(i), false
			}
			punctEnd = i + size
		default:
			if !inWord {
				inWord, counted, runStart, base = true, false, i, 0
			}
			if f&fMn == 0 {
				base++
			}
			if !counted && f&fMn == 0 {
				counted = true
				if unit() {
					if runStart == punctEnd {
						// Marks right after punctuation belong to the
						// punctuation's token (its offset ends after
						// them): keep them with it.
						return cutAt(i), false
					}
					return cutAt(runStart), false
				}
			}
		}
		i += size
	}
	return text, false
}

// specialChunk reports whether the whitespace-delimited chunk starting at
// i (and ending before the next special at spStart) is a special token
// after the tokenizer drops its removed characters; end is where it ends.
func (t *Tokenizer) specialChunk(text string, i, spStart int) (end int, ok bool) {
	if len(t.neverSplit) == 0 {
		return 0, false
	}
	var buf [64]byte
	b := buf[:0]
	for end = i; end < len(text) && end != spStart; {
		r, size := utf8.DecodeRuneInString(text[end:])
		f := flagsOf(r)
		if f&fSpace != 0 {
			break
		}
		if end-i > 4096 {
			return 0, false // no special token hides in that many removed characters
		}
		if f&fDrop == 0 {
			if len(b)+size > len(buf) {
				return 0, false // longer than any special token
			}
			b = append(b, text[end:end+size]...)
		}
		end += size
	}
	return end, len(b) > 0 && t.neverSplit[string(b)]
}
