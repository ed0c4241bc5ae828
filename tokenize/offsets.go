package tokenize

import "unicode/utf8"

// Offsets: the Go API reports byte offsets into the original string, which
// slice it directly (text[s:e]). Hugging Face's offset_mapping counts Python
// characters, i.e. Unicode code points; CharOffsets and RuneOffsets convert
// to that unit. Each invalid UTF-8 byte counts as one code point, as
// utf8.DecodeRuneInString decodes it.

// RuneOffsets converts byte offsets into text to code point offsets. It is
// linear when the offsets are non-decreasing, as tokenizer output is.
func RuneOffsets(text string, offs [][2]int) [][2]int {
	out := make([][2]int, len(offs))
	var c runeCounter
	c.s = text
	for i, o := range offs {
		out[i] = [2]int{c.at(o[0]), c.at(o[1])}
	}
	return out
}

// CharOffsets returns e.Offsets in code points (HF offset_mapping): a and b
// are the texts of the first and second sequence (b is ignored for single
// texts). Added special tokens and pads stay [0, 0].
func (e *Encoding) CharOffsets(a, b string) [][2]int {
	out := make([][2]int, len(e.Offsets))
	var ca, cb runeCounter
	ca.s, cb.s = a, b
	for i, o := range e.Offsets {
		switch e.SequenceIDs[i] {
		case 0:
			out[i] = [2]int{ca.at(o[0]), ca.at(o[1])}
		case 1:
			out[i] = [2]int{cb.at(o[0]), cb.at(o[1])}
		}
	}
	return out
}

// runeCounter counts code points before a byte position, resuming from the
// previous query (positions are rune boundaries of s).
type runeCounter struct {
	s        string
	pos, cnt int
}

func (c *runeCounter) at(p int) int {
	p = min(max(p, 0), len(c.s))
	if p < c.pos {
		c.cnt -= utf8.RuneCountInString(c.s[p:c.pos])
	} else {
		c.cnt += utf8.RuneCountInString(c.s[c.pos:p])
	}
	c.pos = p
	return c.cnt
}
