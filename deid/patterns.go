package deid

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Regular expressions are compiled once. Each is checked against the cheap
// byte tests in patterns() first, so text without digits or "@" costs
// little.
var (
	reEmail = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}`)
	reURL   = anchored(`(?i)\b(?:(?:https?|ftp)://|www\.)[^\s<>"'()\[\]{}]+|\b[a-z0-9][a-z0-9\-]*(?:\.[a-z0-9\-]+)*\.(?:com|org|net|edu|gov|io|us|info|biz|co\.uk|health)\b(?:/[^\s<>"'()\[\]{}]*)?`)
	reIPv4  = anchored(`\b(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\b`)
	reIPv6  = anchored(`(?i)\b(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}\b|\b(?:[0-9a-f]{1,4}:){1,6}:[0-9a-f]{0,4}\b`)
	reSSN   = anchored(`\b(\d{3})([- ]?)(\d{2})([- ]?)(\d{4})\b`)
	rePhone = anchored(`(?:\+?1[\s.\-]?)?(?:\(\d{3}\)\s?|\b\d{3}[\s.\-/])\d{3}[\s.\-]\d{4}\b(?:\s*(?:x|ext\.?|extension)\s*\d{1,6})?|\b\d{3}-\d{4}\b(?:\s*(?:x|ext\.?)\s*\d{1,6})?`)
	// A cue word, then digits with separators: "pager 1234", "fax: 555 0199", "beeper #32411".
	rePhoneCue = anchored(`(?i)\b(?:tel|telephone|phone|ph|cell|cellphone|mobile|fax|pager|pgr|beeper|bpr|page|contact(?:\s+number)?|call\s+back|callback|home\s+number|number|ext|extension|x|#)\s*(?:no\.?|number|#)?\s*[:#.]?\s*(\+?[\d(][\d\s().\-]{3,16}\d)`)
	// MRN, account, plan, licence, device and serial numbers behind a cue.
	reIDCue = anchored(`(?i)\b(?:mrn|mr|med(?:ical)?\s+rec(?:ord)?s?|unit|acct|account|admission|adm|member|subscriber|policy|insurance|ins|health\s+plan|beneficiary|license|licence|lic|dea|npi|upin|serial|s/n|sn|device|id|identifier|case|claim|encounter|enc|visit|accession|acc|specimen|order|job|ref|reference|certificate|cert|vin|plate|badge|employee|patient|pt|chart|record|hospital|episode|study|file)\b\.?\s*(?:#|no\.?|num(?:ber)?\.?|id|code)?\s*[:#=]?\s*([A-Za-z]{0,4}[\-]?\d[\dA-Za-z\-/]{2,24})`)
	// Long digit runs and letter+digit codes that are not measurements.
	reLongNum = anchored(`\b[A-Za-z]{0,4}-?\d{6,}[A-Za-z]{0,2}\b|\b\d{2,6}-\d{2,8}-\d{1,8}\b|#\s?\d{4,}\b`)
	reCard    = anchored(`\b\d{4}[ \-]?\d{4}[ \-]?\d{4}[ \-]?\d{1,7}\b`)
	// Ages: "92 yo", "92-year-old", "92yoF", "age 95", "aged 101".
	reAgeAfter  = anchored(`(?i)\b(\d{2,3})\s*(?:-\s*)?(?:y/o|y\.o\.?|yo|yrs?\b|years?\b|year-old|-year-old|yr-old|y\b|yof|yom|yowm|yowf|yobm|yobf|ym|yf)`)
	reAgeBefore = anchored(`(?i)\b(?:age|aged|age:|ages)\s*[:=]?\s*(\d{2,3})\b`)
	reAgeSex    = anchored(`\b(\d{2,3})\s?(?:M|F|m|f)\b`)
	reAgeDecade = anchored(`(?i)\b(?:in|to)\s+(?:his|her|their|the|late|mid|early)\s+(?:late\s+|mid\s+|early\s+)?(9\d|1[0-4]\d)'?s\b`)
	reAgeWords  = anchored(`(?i)\b(?:ninety|one\s+hundred)(?:[\s\-](?:one|two|three|four|five|six|seven|eight|nine))?(?:[\s\-](?:and\s+(?:a\s+)?half[\s\-])?(?:years?|yrs?|y/o|yo))`)
	// ZIP after a state abbreviation or a ZIP cue.
	reZIP = anchored(`(?i)\b(?:zip(?:\s*code)?|postal\s+code)\s*[:#]?\s*(\d{5}(?:-\d{4})?)\b`)
)

// patterns runs the format rules: e-mail, URL, IP, SSN, phone, ID, age and
// dates (dates.go).
func (s *scan) patterns() {
	text := s.text
	hasDigit := strings.ContainsAny(text, "0123456789")
	s.findCandidates()
	s.emails()
	if hasURLHint(text) {
		s.each(reURL, s.urlStarts(), func(m []int) {
			end := m[1]
			for end > m[0] && strings.IndexByte(".,;:!?", text[end-1]) >= 0 {
				end--
			}
			if !s.emailCovers(m[0]) {
				s.add(m[0], end, URL)
			}
		})
	}
	if strings.Contains(text, "::") || strings.Count(text, ":") >= 3 {
		s.each(reIPv6, s.hexColonStarts(), func(m []int) {
			if strings.Count(text[m[0]:m[1]], ":") >= 3 {
				s.add(m[0], m[1], IP)
			}
		})
	}
	if !hasDigit {
		s.agesInWords()
		s.dates()
		return
	}
	s.each(reIPv4, s.numWhere(false, func(n int, nx byte) bool { return n <= 3 && nx == '.' }), func(m []int) {
		ok := true
		for g := 1; g <= 4; g++ {
			v, _ := strconv.Atoi(text[m[2*g]:m[2*g+1]])
			if v > 255 {
				ok = false
			}
		}
		if ok {
			s.add(m[0], m[1], IP)
		}
	})
	s.ssns()
	s.each(rePhone, s.numWhere(false, func(n int, nx byte) bool { return n == 3 || n == 1 }), func(m []int) {
		if !s.phoneLooksClinical(m[0], m[1]) {
			s.add(m[0], m[1], Phone)
		}
	})
	s.each(rePhoneCue, s.cands.cue[cPhoneCue], func(m []int) {
		digits := countDigits(text[m[2]:m[3]])
		if digits >= 4 && digits <= 15 && !s.phoneLooksClinical(m[2], m[3]) {
			s.add(m[2], m[3], Phone)
		}
	})
	s.ids()
	s.ages()
	s.dates()
}

// emails looks around each "@" only.
func (s *scan) emails() {
	text := s.text
	from := 0
	for {
		k := strings.IndexByte(text[from:], '@')
		if k < 0 {
			return
		}
		at := from + k
		lo, hi := max(0, at-64), min(len(text), at+128)
		for lo > 0 && isWordByte(text[lo-1]) {
			lo-- // start the window on a word boundary
		}
		from = at + 1
		if m := reEmail.FindStringIndex(text[lo:hi]); m != nil && lo+m[0] <= at && at < lo+m[1] {
			s.add(lo+m[0], lo+m[1], Email)
			from = lo + m[1]
		}
	}
}

// hasURLHint: a scheme, "www." or a common top-level domain appears.
func hasURLHint(text string) bool {
	if strings.Contains(text, "://") || strings.Contains(text, "www.") || strings.Contains(text, "WWW.") {
		return true
	}
	for _, tld := range []string{".com", ".org", ".net", ".edu", ".gov", ".io", ".us", ".info", ".biz", ".uk", ".health", ".COM", ".ORG", ".NET", ".EDU", ".GOV"} {
		if strings.Contains(text, tld) {
			return true
		}
	}
	return false
}

// urlStarts: "http", "ftp", "www" words, and the start of the host name
// before each common top-level domain.
func (s *scan) urlStarts() []int {
	var out []int
	text := s.text
	for _, t := range s.toks {
		if t.kind != tWord || t.end-t.start > 5 || t.start > 0 && (isWordByte(text[t.start-1]) || text[t.start-1] == '.') {
			continue
		}
		switch strings.ToLower(text[t.start:t.end]) {
		case "http", "https", "ftp", "www":
			out = append(out, t.start)
		}
	}
	for i := 0; i < len(text); i++ {
		if text[i] != '.' || i+2 >= len(text) || !(text[i+1] >= 'a' && text[i+1] <= 'z' || text[i+1] >= 'A' && text[i+1] <= 'Z') || i == 0 || !isWordByte(text[i-1]) {
			continue
		}
		j := i
		for j > 0 && (isWordByte(text[j-1]) || text[j-1] == '.' || text[j-1] == '-') {
			j--
		}
		out = append(out, j)
	}
	sort.Ints(out)
	return out
}

// hexColonStarts are starts of 1–4 hex digits followed by ":" at a word
// boundary: where an IPv6 address can begin.
func (s *scan) hexColonStarts() []int {
	var out []int
	text := s.text
	isHex := func(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }
	for i := 0; i < len(text); i++ {
		if text[i] != ':' {
			continue
		}
		j := i
		for j > 0 && i-j < 5 && isHex(text[j-1]) {
			j--
		}
		if i-j >= 1 && i-j <= 4 && (j == 0 || !isWordByte(text[j-1]) && text[j-1] != ':') {
			out = append(out, j)
		}
	}
	return out
}

func (s *scan) emailCovers(pos int) bool {
	for _, f := range s.found {
		if f.Type == Email && f.Start <= pos && pos < f.End {
			return true
		}
	}
	return false
}

func countDigits(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			n++
		}
	}
	return n
}

// phoneLooksClinical rejects number shapes that are measurements: a value
// followed by a unit, or a range of counts ("100-1000 cells").
func (s *scan) phoneLooksClinical(start, end int) bool {
	rest := strings.TrimLeft(s.text[end:min(len(s.text), end+12)], " ")
	rest = strings.ToLower(rest)
	for _, u := range []string{"mg", "mcg", "ml", "cc", "units", "u/", "meq", "mmol", "cells", "/mm", "/ul", "k/ul", "%", "g/", "ng", "pg", "iu"} {
		if strings.HasPrefix(rest, u) {
			return true
		}
	}
	return false
}

// ssns reports 3-2-4 digit groups. With separators every valid SSN shape
// is an SSN; bare nine digits need an SSN cue or pass the area rules
// (not 000, 666 or 9xx; group not 00; serial not 0000) and no unit follows.
func (s *scan) ssns() {
	text := s.text
	s.each(reSSN, s.numWhere(false, func(n int, nx byte) bool { return n == 3 || n == 9 }), func(m []int) {
		sep1, sep2 := text[m[4]:m[5]], text[m[8]:m[9]]
		if sep1 != sep2 {
			return
		}
		area, _ := strconv.Atoi(text[m[2]:m[3]])
		group, _ := strconv.Atoi(text[m[6]:m[7]])
		serial, _ := strconv.Atoi(text[m[10]:m[11]])
		valid := area != 0 && area != 666 && area < 900 && group != 0 && serial != 0
		cue := strings.Contains(strings.ToLower(text[max(0, m[0]-16):m[0]]), "ss")
		switch {
		case valid || cue:
			s.add(m[0], m[1], SSN)
		case sep1 != "":
			// Formatted like an SSN but outside the issued ranges: still an
			// identifier of some kind.
			s.add(m[0], m[1], ID)
		}
	})
}

// luhn reports whether the digits of s pass the Luhn check (card and many
// account numbers).
func luhn(s string) bool {
	sum, n, double := 0, 0, false
	for i := len(s) - 1; i >= 0; i-- {
		c := s[i]
		if c < '0' || c > '9' {
			continue
		}
		d := int(c - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
		n++
	}
	return n >= 12 && sum%10 == 0
}

func (s *scan) ids() {
	text := s.text
	s.each(reIDCue, s.cands.cue[cIDCue], func(m []int) {
		v := text[m[2]:m[3]]
		v = strings.TrimRight(v, "-/")
		if countDigits(v) < 3 || s.unitFollows(m[2]+len(v)) || isDecimalish(text, m[2], m[2]+len(v)) {
			return
		}
		cue := strings.ToLower(text[m[0]:m[2]])
		// "pt 85" or "unit 4" are not identifiers; these weak cues need a
		// long value or a "#"/"number" marker.
		weak := strings.HasPrefix(cue, "pt") || strings.HasPrefix(cue, "patient") || strings.HasPrefix(cue, "unit") ||
			strings.HasPrefix(cue, "order") || strings.HasPrefix(cue, "ins") || strings.HasPrefix(cue, "case") ||
			strings.HasPrefix(cue, "acc") && !strings.HasPrefix(cue, "acct") && !strings.HasPrefix(cue, "accession") ||
			strings.HasPrefix(cue, "hospital") || strings.HasPrefix(cue, "study") || strings.HasPrefix(cue, "file") ||
			strings.HasPrefix(cue, "record") || strings.HasPrefix(cue, "ref") || strings.HasPrefix(cue, "adm") ||
			strings.HasPrefix(cue, "visit") || strings.HasPrefix(cue, "job") || strings.HasPrefix(cue, "mr")
		marked := strings.ContainsAny(cue, "#:=") || strings.Contains(cue, "no") || strings.Contains(cue, "num")
		if weak && !strings.Contains(cue, "#") && countDigits(v) < 5 || weak && !marked {
			return
		}
		if strings.Contains(v, "/") && countDigits(v) < 6 {
			return // "0/10", "3/4": a fraction or date, not a number
		}
		if strings.HasPrefix(cue, "mr") && !strings.HasPrefix(cue, "mrn") && !marked {
			return
		}
		s.add(m[2], m[2]+len(v), ID)
	})
	s.each(reLongNum, s.numWhere(true, func(n int, nx byte) bool { return n >= 6 || n >= 2 && nx == '-' || n >= 4 }), func(m []int) {
		if !s.unitFollows(m[1]) && !isDecimalish(text, m[0], m[1]) && !s.labBefore(m[0]) {
			s.add(m[0], m[1], ID)
		}
	})
	s.each(reCard, s.numWhere(false, func(n int, nx byte) bool { return n >= 4 }), func(m []int) {
		if luhn(text[m[0]:m[1]]) {
			s.add(m[0], m[1], ID)
		}
	})
}

// labBefore: a lab or vital name right before pos ("Plt 250000"), so a
// long number is a value, not an identifier.
func (s *scan) labBefore(pos int) bool {
	if pos < len(s.text) && (s.text[pos] < '0' || s.text[pos] > '9') || pos > 0 && s.text[pos-1] == '-' {
		return false // letters, "#" or a hyphen first: a code ("MA-RN-229918")
	}
	j := sort.Search(len(s.toks), func(k int) bool { return s.toks[k].start >= pos }) - 1
	for ; j >= 0 && s.toks[j].kind == tPunct && strings.ContainsAny(s.word(j), ":=-"); j-- {
	}
	return j >= 0 && s.toks[j].kind == tWord && s.classAt(j)&wClinical != 0
}

// isDecimalish: the match is part of a decimal or a thousands-separated
// number ("1.234567", "250,000").
func isDecimalish(text string, start, end int) bool {
	if start > 0 && (text[start-1] == '.' || text[start-1] == ',') && start > 1 && text[start-2] >= '0' && text[start-2] <= '9' {
		return true
	}
	if end+1 < len(text) && (text[end] == '.' || text[end] == ',') && text[end+1] >= '0' && text[end+1] <= '9' {
		return true
	}
	return false
}

// unitFollows reports a unit of measure right after pos.
func (s *scan) unitFollows(pos int) bool {
	rest := strings.ToLower(strings.TrimLeft(s.text[pos:min(len(s.text), pos+10)], " "))
	for _, u := range []string{"mg", "mcg", "ml", "cc", "unit", "meq", "mmol", "cells", "/mm", "/ul", "%", "copies", "iu", "ng", "pg", "k/", "x10", "kcal", "cal", "steps", "ft", "feet", "miles", "km", "lbs", "kg", "gm", "g "} {
		if strings.HasPrefix(rest, u) {
			return true
		}
	}
	return false
}

// ages reports ages over 89; younger ages are not identifiers and are kept.
func (s *scan) ages() {
	text := s.text
	over := func(a, b int) bool {
		v, err := strconv.Atoi(text[a:b])
		return err == nil && v > 89 && v < 130
	}
	addAge := func(m []int) {
		if over(m[2], m[3]) {
			s.add(m[2], m[3], Age)
		}
	}
	s.each(reAgeAfter, s.numWhere(false, func(n int, nx byte) bool { return n == 2 || n == 3 }), addAge)
	s.each(reAgeBefore, s.cands.cue[cAgeBefore], addAge)
	s.each(reAgeDecade, s.cands.cue[cOrdinal], func(m []int) { s.add(m[2], m[3], Age) }) // "in her 90s"
	s.each(reAgeSex, s.numWhere(false, func(n int, nx byte) bool {
		return (n == 2 || n == 3) && (nx == ' ' || nx == 'M' || nx == 'F' || nx == 'm' || nx == 'f')
	}), func(m []int) {
		// "92 M" / "95F" only at the start of a line or after "a", "pt":
		// "100 F" can be a temperature.
		if !over(m[2], m[3]) {
			return
		}
		before := strings.ToLower(strings.TrimRight(text[max(0, m[0]-6):m[0]], " "))
		if m[0] == 0 || strings.HasSuffix(before, "\n") || strings.HasSuffix(before, " a") || strings.HasSuffix(before, "pt") || before == "a" || strings.HasSuffix(before, "is") {
			s.add(m[2], m[3], Age)
		}
	})
	s.agesInWords()
}

func (s *scan) agesInWords() {
	s.each(reAgeWords, s.cands.cue[cAgeWord], func(m []int) {
		s.add(m[0], m[1], Age)
	})
}
