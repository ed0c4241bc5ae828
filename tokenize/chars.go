package tokenize

import (
	"sync"
	"unicode"
	"unicode/utf8"
)

// Character classes of HF's BasicTokenizer (transformers
// models/bert/tokenization_bert.py: _is_whitespace, _is_control,
// _is_punctuation, _is_chinese_char), precomputed as bit flags.
const (
	fSpace = 1 << iota // ' ', \t, \n, \r, Zs; also U+2028/U+2029 (Python str.split)
	fDrop              // removed by _clean_text: NUL, U+FFFD, category C* (incl. unassigned) except \t\n\r
	fPunct             // ASCII 33-47, 58-64, 91-96, 123-126 or Unicode P*
	fCJK               // CJK ideograph ranges of _is_chinese_char
	fMn                // nonspacing mark, dropped by accent stripping
)

// ASCII classes for the fast path.
const (
	aWord  = iota // letters and digits: the only ASCII chars that build words
	aSpace        // \t \n \r ' '
	aDrop         // other C0 controls and DEL
	aPunct        // every other printable ASCII char
)

var asciiClass [utf8.RuneSelf]uint8

// asciiLower maps A-Z to a-z and every other byte to itself.
var asciiLower [256]byte

func init() {
	for b := 0; b < utf8.RuneSelf; b++ {
		switch {
		case b == ' ' || b == '\t' || b == '\n' || b == '\r':
			asciiClass[b] = aSpace
		case b < 0x20 || b == 0x7f:
			asciiClass[b] = aDrop
		case b >= '0' && b <= '9', b >= 'a' && b <= 'z', b >= 'A' && b <= 'Z':
			asciiClass[b] = aWord
		default:
			asciiClass[b] = aPunct
		}
	}
	for b := 0; b < 256; b++ {
		asciiLower[b] = byte(b)
		if b >= 'A' && b <= 'Z' {
			asciiLower[b] = byte(b) + 'a' - 'A'
		}
	}
}

// bmpFlags caches computeFlags for the Basic Multilingual Plane; it is built on
// first use (about 10 ms) so that programs that never see non-ASCII text,
// and package init, do not pay for it.
var (
	bmpOnce  sync.Once
	bmpFlags []uint8
)

func flagsOf(r rune) uint8 {
	if r < 0x10000 {
		bmpOnce.Do(func() {
			t := make([]uint8, 0x10000)
			for c := range t {
				t[c] = computeFlags(rune(c))
			}
			bmpFlags = t
		})
		return bmpFlags[r]
	}
	return computeFlags(r)
}

// computeFlags classifies one code point with the unicode tables. Go 1.26
// ships Unicode 15.0; Python 3.11 (the golden generator) has 14.0. The two
// disagree only on code points assigned in 15.0, which then count as
// control (unassigned) in Python and as letters here.
func computeFlags(r rune) uint8 {
	var f uint8
	switch {
	case r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == 0x2028 || r == 0x2029:
		f |= fSpace
	case r == 0 || r == utf8.RuneError:
		f |= fDrop
	case unicode.Is(unicode.Zs, r):
		f |= fSpace
	case !unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Z):
		// Category C* (Cc, Cf, Co, Cs) or unassigned (Cn), which Go has no table for.
		f |= fDrop
	}
	if isPunctRune(r) {
		f |= fPunct
	}
	if isCJK(r) {
		f |= fCJK
	}
	if unicode.Is(unicode.Mn, r) {
		f |= fMn
	}
	return f
}

func isPunctRune(r rune) bool {
	if (r >= 33 && r <= 47) || (r >= 58 && r <= 64) || (r >= 91 && r <= 96) || (r >= 123 && r <= 126) {
		return true
	}
	return r >= utf8.RuneSelf && unicode.IsPunct(r)
}

// isCJK reports the CJK Unified Ideographs blocks of HF's _is_chinese_char.
// Hiragana, katakana and hangul are deliberately not included (HF's choice).
func isCJK(r rune) bool {
	return (r >= 0x4E00 && r <= 0x9FFF) ||
		(r >= 0x3400 && r <= 0x4DBF) ||
		(r >= 0x20000 && r <= 0x2A6DF) ||
		(r >= 0x2A700 && r <= 0x2B73F) ||
		(r >= 0x2B740 && r <= 0x2B81F) ||
		(r >= 0x2B820 && r <= 0x2CEAF) ||
		(r >= 0xF900 && r <= 0xFAFF) ||
		(r >= 0x2F800 && r <= 0x2FA1F)
}

// appendLower appends Python's str.lower() of the single code point r.
// Python applies the full (SpecialCasing) mapping, whose only unconditional
// multi-rune lowercase entry is U+0130 -> "i" U+0307; everything else is the
// simple mapping Go's unicode.ToLower implements.
func appendLower(dst []rune, r rune) []rune {
	if r < utf8.RuneSelf {
		return append(dst, rune(asciiLower[r]))
	}
	if r == 0x130 {
		return append(dst, 'i', 0x307)
	}
	return append(dst, unicode.ToLower(r))
}
