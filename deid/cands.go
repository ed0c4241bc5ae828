package deid

import (
	"regexp"
	"strings"
)

// The format rules are regular expressions anchored at candidate positions
// (token starts that can begin a match) instead of scanned over the whole
// text: Go's regexp has no literal prefix to skip with for patterns like
// `\b\d{1,2}/\d{1,2}`, and a dozen whole-text scans dominated the cost.

// anchored compiles src to match only at the start of its input.
func anchored(src string) *regexp.Regexp { return regexp.MustCompile(`^(?:` + src + `)`) }

// Cue kinds: which anchored rules a word can start.
const (
	cMonth uint16 = 1 << iota
	cOrdinal
	cHoliday
	cAgeBefore
	cAgeWord
	cPhoneCue
	cIDCue
	cZIP
	cPOBox
	cState
)

var cueKinds = func() map[string]uint16 {
	m := map[string]uint16{}
	add := func(k uint16, ws ...string) {
		for _, w := range ws {
			m[w] |= k
		}
	}
	add(cMonth, "jan", "january", "feb", "february", "mar", "march", "apr", "april", "may", "jun", "june", "jul", "july",
		"aug", "august", "sep", "sept", "september", "oct", "october", "nov", "november", "dec", "december")
	add(cOrdinal, "in", "to", "on", "since", "until", "till", "by", "from", "before", "after", "of", "the", "monday", "tuesday", "wednesday",
		"thursday", "friday", "saturday", "sunday", "mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun")
	add(cHoliday, "christmas", "thanksgiving", "easter", "new", "halloween", "hanukkah", "chanukah", "kwanzaa", "memorial",
		"labor", "independence", "valentine's", "valentines", "valentine", "mother's", "mothers", "father's", "fathers",
		"veterans", "rosh", "yom", "ramadan", "passover")
	add(cAgeBefore, "age", "aged", "ages")
	add(cAgeWord, "ninety", "one")
	add(cPhoneCue, "tel", "telephone", "phone", "ph", "cell", "cellphone", "mobile", "fax", "pager", "pgr", "beeper", "bpr",
		"page", "contact", "call", "callback", "home", "number", "ext", "extension", "x")
	add(cIDCue, "mrn", "mr", "med", "medical", "unit", "acct", "account", "admission", "adm", "member", "subscriber", "policy",
		"insurance", "ins", "health", "beneficiary", "license", "licence", "lic", "dea", "npi", "upin", "serial", "s",
		"sn", "device", "id", "identifier", "case", "claim", "encounter", "enc", "visit", "accession", "acc", "specimen",
		"order", "job", "ref", "reference", "certificate", "cert", "vin", "plate", "badge", "employee", "patient", "pt",
		"chart", "record", "hospital", "episode", "study", "file")
	add(cZIP, "zip", "postal")
	add(cPOBox, "p", "po")
	for _, st := range strings.Split(strings.Trim(stateAbbrevRe, "(?:)"), "|") {
		m[strings.ToLower(st)] |= cState
	}
	return m
}()

// candidates are computed once per document.
type candidates struct {
	num []int // starts of numbers at a word boundary, and "(", "+", "#" just before one
	// For each num entry: digits in the number, the byte after it (0 at
	// the end), and whether the entry is a glued word ("A7712").
	numLen  []int
	numNext []byte
	numWord []bool
	cue     map[uint16][]int
	cues    uint16 // union of the kinds present
}

func isWordByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}

func (s *scan) findCandidates() {
	c := &s.cands
	c.num, c.numLen, c.numNext, c.numWord = c.num[:0], c.numLen[:0], c.numNext[:0], c.numWord[:0]
	c.cue = map[uint16][]int{}
	text := s.text
	for i, t := range s.toks {
		switch t.kind {
		case tNum:
			var next byte
			if t.end < len(text) {
				next = text[t.end]
			}
			push := func(pos int, word bool) {
				c.num = append(c.num, pos)
				c.numLen = append(c.numLen, t.end-t.start)
				c.numNext = append(c.numNext, next)
				c.numWord = append(c.numWord, word)
			}
			if i > 0 {
				p := s.toks[i-1]
				if p.kind == tPunct && p.end == t.start && (text[p.start] == '(' || text[p.start] == '+' || text[p.start] == '#') {
					push(p.start, false)
				}
				// "A77120934", "MA-RN-229918": a short word glued to the number.
				if p.kind == tWord && p.end == t.start && p.end-p.start <= 4 && (p.start == 0 || !isWordByte(text[p.start-1])) {
					push(p.start, true)
				}
			}
			if t.start == 0 || !isWordByte(text[t.start-1]) {
				push(t.start, false)
			}
		case tWord:
			if t.end-t.start > 12 {
				continue
			}
			w := text[t.start:t.end]
			k, ok := cueKinds[w]
			if !ok {
				lw := strings.ToLower(w)
				if h := strings.IndexByte(lw, '-'); h > 0 {
					lw = lw[:h] // "ninety-two"
				}
				k = cueKinds[lw]
			}
			if k == 0 {
				continue
			}
			for bit := uint16(1); bit != 0 && bit <= k; bit <<= 1 {
				if k&bit != 0 {
					c.cue[bit] = append(c.cue[bit], t.start)
				}
			}
			c.cues |= k
		case tPunct:
			if text[t.start] == '#' {
				c.cue[cPhoneCue] = append(c.cue[cPhoneCue], t.start)
			}
		}
	}
}

// numWhere filters the number candidates by digit count and next byte;
// glued-word entries are kept only when words is set.
func (s *scan) numWhere(words bool, ok func(digits int, next byte) bool) []int {
	c := &s.cands
	out := s.numBuf[:0]
	for i, p := range c.num {
		if c.numWord[i] && !words {
			continue
		}
		if ok(c.numLen[i], c.numNext[i]) {
			out = append(out, p)
		}
	}
	s.numBuf = out
	return out
}

func isSep(b byte) bool { return b == '/' || b == '-' || b == '.' }

// window is the text a match starting at pos may span: 100 bytes, cut at
// a space so no word is split.
func (s *scan) window(pos int) string {
	end := pos + 100
	if end >= len(s.text) {
		return s.text[pos:]
	}
	for k := end; k < len(s.text) && k < end+40; k++ {
		if s.text[k] == ' ' || s.text[k] == '\n' {
			return s.text[pos:k]
		}
	}
	return s.text[pos:end]
}

// each runs an anchored rule at every candidate position and calls fn with
// absolute submatch indices, skipping positions inside the last match (as
// FindAll does).
func (s *scan) each(re *regexp.Regexp, cands []int, fn func(m []int)) {
	last := -1
	for _, p := range cands {
		if p < last {
			continue
		}
		m := re.FindStringSubmatchIndex(s.window(p))
		if m == nil {
			continue
		}
		for i := range m {
			if m[i] >= 0 {
				m[i] += p
			}
		}
		fn(m)
		last = m[1]
	}
}
