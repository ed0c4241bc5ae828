package data

import (
	"strings"
	"unicode"
)

// NormalizeSpace trims s and collapses every run of Unicode white space
// (spaces, tabs, newlines, NBSP, U+2028…) into one ASCII space. BERT's
// tokenizer splits on white space anyway; normalising first makes lengths,
// duplicate detection and saved predictions stable across CRLF/LF files and
// copy-pasted text.
func NormalizeSpace(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

// WordCount is the number of white-space separated words of the text and
// its pair: the default length for Summarize when no tokenizer is at hand.
func WordCount(e Example) int {
	return len(strings.Fields(e.Text)) + len(strings.Fields(e.TextPair))
}
