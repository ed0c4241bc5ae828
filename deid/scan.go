package deid

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// tokKind classifies a token.
type tokKind uint8

const (
	tWord  tokKind = iota // letters, with inner apostrophes or hyphens
	tNum                  // digits
	tPunct                // one other non-space character
)

// token is a word, number or punctuation mark of the text, in bytes.
type token struct {
	start, end int
	kind       tokKind
	// newline: a line break lies between this token and the previous one.
	newline bool
	// sentStart: the token opens a sentence, line, list item or field, so
	// its capital letter says nothing about it being a name.
	sentStart bool
}

// scan holds one document's working state.
type scan struct {
	text  string
	opts  Options
	toks  []token
	found []ByteSpan
	// isName marks tokens already taken as part of a NAME (so cues and
	// propagation can see them).
	isName []bool
	cands  candidates
	// noUpper: the text has no capital letter (a typed query), so case
	// says nothing about names.
	noUpper bool
	numBuf  []int
	// cls caches wordClass per token (clsOK marks computed entries).
	cls   []uint8
	clsOK []bool
	low   []string
}

// classAt is wordClass of word token i, computed once.
func (s *scan) classAt(i int) uint8 {
	if !s.clsOK[i] {
		s.cls[i] = wordClass(s.lowerTok(i))
		s.clsOK[i] = true
	}
	return s.cls[i]
}

// lowerTok is the lower-cased text of token i, computed once.
func (s *scan) lowerTok(i int) string {
	if s.low[i] == "" {
		s.low[i] = strings.ToLower(s.word(i))
	}
	return s.low[i]
}

func (s *scan) add(start, end int, t Type) {
	if start < end {
		s.found = append(s.found, ByteSpan{Start: start, End: end, Type: t})
	}
}

func (s *scan) word(i int) string { return s.text[s.toks[i].start:s.toks[i].end] }

func isLetter(r rune) bool { return unicode.IsLetter(r) }

// tokenize splits the text into words, numbers and punctuation.
func (s *scan) tokenize() {
	text := s.text
	s.toks = s.toks[:0]
	newline, sent := true, true
	for i := 0; i < len(text); {
		c := text[i]
		switch {
		case c == '\n' || c == '\r':
			newline, sent = true, true
			i++
			continue
		case c == ' ' || c == '\t' || c == '\f' || c == '\v':
			i++
			continue
		case c >= '0' && c <= '9':
			j := i + 1
			for j < len(text) && text[j] >= '0' && text[j] <= '9' {
				j++
			}
			s.toks = append(s.toks, token{start: i, end: j, kind: tNum, newline: newline, sentStart: sent})
			i = j
		default:
			r, n := utf8.DecodeRuneInString(text[i:])
			if !isLetter(r) {
				if unicode.IsSpace(r) {
					i += n
					continue
				}
				s.toks = append(s.toks, token{start: i, end: i + n, kind: tPunct, newline: newline, sentStart: sent})
				i += n
				// A new sentence or field follows these marks; not the dot
				// of an initial or an abbreviation ("J. Smith", "Dr. Lee").
				sent = c == '.' || c == '!' || c == '?' || c == ':' || c == ';' || c == '*' || c == '|' || r == '•' || (c == '-' && newline)
				if c == '.' && len(s.toks) >= 2 {
					if p := s.toks[len(s.toks)-2]; p.kind == tWord && p.end == i && (p.end-p.start == 1 || dotAbbrevs[strings.ToLower(text[p.start:p.end])]) {
						sent = false
					}
				}
				newline = false
				continue
			}
			j := i + n
			for j < len(text) {
				r2, n2 := utf8.DecodeRuneInString(text[j:])
				if isLetter(r2) {
					j += n2
					continue
				}
				// Inner apostrophe or hyphen followed by a letter: O'Brien, Swan-Ganz.
				if (r2 == '\'' || r2 == '’' || r2 == '-') && j+n2 < len(text) {
					r3, _ := utf8.DecodeRuneInString(text[j+n2:])
					if isLetter(r3) {
						j += n2
						continue
					}
				}
				break
			}
			s.toks = append(s.toks, token{start: i, end: j, kind: tWord, newline: newline, sentStart: sent})
			i = j
		}
		newline, sent = false, false
	}
	s.isName = make([]bool, len(s.toks))
	s.noUpper = strings.IndexFunc(text, unicode.IsUpper) < 0
	s.cls = make([]uint8, len(s.toks))
	s.clsOK = make([]bool, len(s.toks))
	s.low = make([]string, len(s.toks))
}

// dotAbbrevs take a dot without ending the sentence.
var dotAbbrevs = setOf("dr", "drs", "mr", "mrs", "ms", "prof", "rev", "sr", "jr", "st", "fr", "atty", "vs", "no", "approx", "mt", "ft")

// shape helpers on a word.

// isCap: first letter upper case and at least one lower-case letter
// ("Smith", "McDonald", "O'Brien").
func isCap(w string) bool {
	r, n := utf8.DecodeRuneInString(w)
	if !unicode.IsUpper(r) {
		return false
	}
	for _, c := range w[n:] {
		if unicode.IsLower(c) {
			return true
		}
	}
	return false
}

// isUpperWord: all letters upper case, at least two of them ("SMITH").
func isUpperWord(w string) bool {
	n := 0
	for _, c := range w {
		if unicode.IsLower(c) {
			return false
		}
		if unicode.IsLetter(c) {
			n++
		}
	}
	return n >= 2
}

func isLowerWord(w string) bool {
	for _, c := range w {
		if !unicode.IsLower(c) && c != '\'' && c != '-' {
			return false
		}
	}
	return true
}

// baseWord strips a possessive "'s" so "Smith's" looks up "smith".
func baseWord(w string) string {
	lw := strings.ToLower(w)
	if strings.HasSuffix(lw, "'s") || strings.HasSuffix(lw, "’s") {
		return lw[:strings.LastIndexAny(lw, "'’")]
	}
	return lw
}

// prevWord returns the index of the nearest word token before i, skipping
// at most the punctuation in skip ("." after "Dr", "," ...), or -1.
func (s *scan) prevWord(i int, skip string) int {
	for j := i - 1; j >= 0; j-- {
		t := s.toks[j]
		if t.kind == tWord {
			return j
		}
		if t.kind == tPunct && strings.Contains(skip, s.text[t.start:t.end]) {
			continue
		}
		return -1
	}
	return -1
}

// lowerAt is the lower-cased word at token i, or "" for non-words or i<0.
func (s *scan) lowerAt(i int) string {
	if i < 0 || i >= len(s.toks) || s.toks[i].kind != tWord {
		return ""
	}
	return s.lowerTok(i)
}

// punctAt reports whether token i is the punctuation p.
func (s *scan) punctAt(i int, p string) bool {
	return i >= 0 && i < len(s.toks) && s.toks[i].kind == tPunct && s.word(i) == p
}
