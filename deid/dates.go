package deid

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
)

const monthRe = `(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)`

var (
	// 2023-07-22, 2023/7/22
	reDateYMD = anchored(`\b(\d{4})[\-/.](\d{1,2})[\-/.](\d{1,2})\b`)
	// 07/22/2023, 22.07.23, 7-22-23
	reDateMDY = anchored(`\b(\d{1,2})([\-/.])(\d{1,2})([\-/.])(\d{4}|\d{2})\b`)
	// 7/22 and 7-22 (validated and checked against fractions and ranges)
	reDateMD = anchored(`\b(\d{1,2})([/\-])(\d{1,2})\b`)
	// 07/2023, 7-2023
	reDateMY = anchored(`\b(\d{1,2})[/\-](\d{4})\b`)
	// July 22nd, 2023 / Jul. 22 / July 2023 / July of 2023
	reDateMonthFirst = anchored(`(?i)\b` + monthRe + `\.?\s*(?:(\d{1,2})(?:st|nd|rd|th)?\b(?:,?\s*'?(\d{4}|\d{2})\b)?|(?:of\s+)?(\d{4})\b)`)
	// 22 July 2023 / 22nd of July / 22-Jul-2023
	reDateDayFirst = anchored(`(?i)\b(\d{1,2})(?:st|nd|rd|th)?(?:\s+of\s+|\s*[\-/]\s*|\s+)` + monthRe + `\b\.?(?:(?:,?\s*|[\-/])(\d{4}|\d{2})\b)?`)
	// Month names on their own (not "May", a modal verb).
	reMonthAlone = regexp.MustCompile(`^(?:January|February|March|April|June|July|August|September|October|November|December|Jan|Feb|Apr|Aug|Sept|Oct|Nov|Dec)\b`)
	// "on the 3rd", "since the 22nd", "the 14th of"
	reOrdinal = anchored(`(?i)\b(?:on|since|until|till|by|from|before|after|monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun),?\s+the\s+(\d{1,2}(?:st|nd|rd|th))\b|\bthe\s+(\d{1,2}(?:st|nd|rd|th))\s+of\b`)
	reYear    = anchored(`\b(?:19|20)\d{2}\b|'\d{2}\b`)
	reHoliday = anchored(`(?i)\b(?:christmas(?:\s+eve)?|thanksgiving|easter|new\s+year'?s(?:\s+(?:eve|day))?|halloween|hanukkah|chanukah|kwanzaa|memorial\s+day|labor\s+day|independence\s+day|valentine'?s\s+day|mother'?s\s+day|father'?s\s+day|veterans\s+day|rosh\s+hashanah|yom\s+kippur|ramadan|passover)\b`)
)

func validMD(m, d int) bool { return m >= 1 && m <= 12 && d >= 1 && d <= 31 }

// dates reports calendar dates in the common written forms. Bare years are
// kept unless Options.RedactYears.
func (s *scan) dates() {
	text := s.text
	hasDigit := strings.ContainsAny(text, "0123456789")
	if hasDigit {
		s.each(reDateYMD, s.numWhere(false, func(n int, nx byte) bool { return n == 4 && isSep(nx) }), func(m []int) {
			y := atoi(text[m[2]:m[3]])
			if y >= 1850 && y <= 2150 && validMD(atoi(text[m[4]:m[5]]), atoi(text[m[6]:m[7]])) {
				s.add(m[0], m[1], Date)
			}
		})
		s.each(reDateMDY, s.numWhere(false, func(n int, nx byte) bool { return n <= 2 && isSep(nx) }), func(m []int) {
			a, b := atoi(text[m[2]:m[3]]), atoi(text[m[6]:m[7]])
			if text[m[4]:m[5]] != text[m[8]:m[9]] || partOfLonger(text, m[0], m[1]) {
				return
			}
			if validMD(a, b) || validMD(b, a) {
				s.add(m[0], m[1], Date)
			}
		})
		s.each(reDateMY, s.numWhere(false, func(n int, nx byte) bool { return n <= 2 && (nx == '/' || nx == '-') }), func(m []int) {
			mo, y := atoi(text[m[2]:m[3]]), atoi(text[m[4]:m[5]])
			if mo >= 1 && mo <= 12 && y >= 1900 && y <= 2100 {
				s.add(m[0], m[1], Date)
			}
		})
		s.monthDay()
	}
	if hasDigit {
		monthOK := func(m []int) {
			if s.monthMatchOK(m) {
				s.add(m[0], m[1], Date)
			}
		}
		if s.cands.cues&cMonth != 0 {
			s.each(reDateMonthFirst, s.cands.cue[cMonth], monthOK)
			s.each(reDateDayFirst, s.numWhere(false, func(n int, nx byte) bool { return n <= 2 }), monthOK)
		}
		s.each(reOrdinal, s.cands.cue[cOrdinal], func(m []int) {
			// "on the 3rd floor", "of the 1st metatarsal": an ordinal
			// before a noun is no date.
			if m[2] >= 0 && ordinalBeforeNoun(text[m[1]:]) {
				return
			}
			for g := 1; g <= 2; g++ {
				if m[2*g] >= 0 {
					s.add(m[2*g], m[2*g+1], Date)
				}
			}
		})
		if s.opts.RedactYears {
			s.each(reYear, s.yearStarts(), func(m []int) {
				s.add(m[0], m[1], Date)
			})
		}
	}
	for _, st := range s.cands.cue[cMonth] {
		m := reMonthAlone.FindStringIndex(s.window(st))
		if m == nil {
			continue
		}
		m[0], m[1] = m[0]+st, m[1]+st
		w := text[m[0]:m[1]]
		// Short forms need a capital and must not be an abbreviation in an
		// all-caps line ("DEC" = decreased); "Dec" followed by digits was
		// caught above.
		if len(w) <= 4 && isUpperWord(w) {
			continue
		}
		if w == "Dec" || w == "Aug" {
			continue // "Dec BS", "Aug" (augmentin) are common abbreviations
		}
		s.add(m[0], m[1], Date)
	}
	s.each(reHoliday, s.cands.cue[cHoliday], func(m []int) {
		s.add(m[0], m[1], Date)
	})
}

var afterOrdinalOK = setOf("of", "at", "and", "or", "in", "when", "i", "we", "he", "she", "they", "pt", "patient", "the",
	"to", "for", "with", "around", "by", "but", "so", "until", "through", "thru", "after", "before", "was", "is", "had", "has")

// ordinalBeforeNoun: the next word after an ordinal is a noun it modifies.
func ordinalBeforeNoun(rest string) bool {
	rest = strings.TrimLeft(rest, " \t")
	end := 0
	for end < len(rest) && (rest[end] >= 'a' && rest[end] <= 'z' || rest[end] >= 'A' && rest[end] <= 'Z') {
		end++
	}
	return end > 0 && !afterOrdinalOK[strings.ToLower(rest[:end])]
}

// monthMatchOK filters month-name matches: "may" must be followed by a day
// or year and be capitalised or numeric context; a day above 31 is no date.
func (s *scan) monthMatchOK(m []int) bool {
	text := s.text
	w := text[m[0]:m[1]]
	lw := strings.ToLower(w)
	for g := 1; 2*g+1 < len(m); g++ {
		if m[2*g] >= 0 && m[2*g+1]-m[2*g] <= 2 {
			if v := atoi(text[m[2*g]:m[2*g+1]]); v > 31 && g == 1 && !strings.HasPrefix(lw, "0") {
				// "Dec 45" in month-first form: only a 2-digit year if a
				// comma or apostrophe marks it.
				if !strings.ContainsAny(w, ",'") {
					return false
				}
			}
		}
	}
	// The month word must be a whole word in the right case: "mar" in
	// "mar 3" is fine, "march 3 steps" is rare; "may 2" in lower case is
	// mostly the verb ("may 2 tabs").
	if strings.Contains(lw, "may") && !strings.Contains(w, "May") && !strings.Contains(w, "MAY") {
		return false
	}
	// "sat 94", "mar" handled by the month list (no "sat"); "jun", "dec"
	// in lower case followed by a number are rare enough to keep as dates,
	// but "dec 2" (decreased by 2) is common in notes.
	if strings.HasPrefix(lw, "dec ") || strings.HasPrefix(lw, "dec.") {
		if !strings.HasPrefix(w, "Dec") && !strings.HasPrefix(w, "DEC") {
			return false
		}
	}
	for _, word := range []string{"dec", "mar", "aug", "jan", "jun", "oct", "nov", "sep", "apr", "feb", "jul"} {
		// A short month in an all-caps clinical abbreviation position
		// followed by a bare small number ("DEC 2") is ambiguous; accept
		// only with a day and a year or a following ordinal.
		if strings.HasPrefix(lw, word) && !strings.HasPrefix(lw, word+"u") && len(strings.Fields(w)) == 2 && isUpperWord(strings.Fields(w)[0]) && !strings.ContainsAny(w, ",") {
			return false
		}
	}
	return true
}

// monthDay reports "7/22" and "7-22" when they are valid month/day pairs
// and not a fraction, score, ratio or range ("pain 3/10", "strength 5/5",
// "2/2 cultures", "1/2 tab", "2-3 L").
func (s *scan) monthDay() {
	text := s.text
	s.each(reDateMD, s.numWhere(false, func(n int, nx byte) bool { return n <= 2 && (nx == '/' || nx == '-') }), func(m []int) {
		a, b := atoi(text[m[2]:m[3]]), atoi(text[m[6]:m[7]])
		if !validMD(a, b) || partOfLonger(text, m[0], m[1]) {
			return
		}
		sep := text[m[4]:m[5]]
		before := strings.ToLower(text[max(0, m[0]-24):m[0]])
		after := strings.ToLower(strings.TrimLeft(text[m[1]:min(len(text), m[1]+16)], " "))
		if isFractionContext(before, after, a, b) {
			return
		}
		if sep == "-" && !hasDateCue(before) && (a < b && looksLikeRange(before, after) || a == b) {
			return
		}
		s.add(m[0], m[1], Date)
	})
}

// yearStarts: number starts and apostrophes before two digits ('98).
func (s *scan) yearStarts() []int {
	out := append([]int(nil), s.cands.num...)
	for i, t := range s.toks {
		if t.kind == tPunct && (s.text[t.start] == '\'') && i+1 < len(s.toks) && s.toks[i+1].kind == tNum && s.toks[i+1].start == t.end {
			out = append(out, t.start)
		}
	}
	sort.Ints(out)
	return out
}

// isFractionContext says a/b is a score, ratio, dose or count, not a date.
func isFractionContext(before, after string, a, b int) bool {
	for _, w := range []string{"pain", "strength", "murmur", "grade", "score", "scale", "rated", "rates", "rating", "power", "motor", "reflex", "pulses", "pulse", "out of", "gcs", "apgar", "sets", "of ", "x ", "ratio", "i/e", "ie ", "peep", "vent", "cpap", "bipap", "ps ", "bp", "b/p", "abp", "nbp", "sbp", "art", "tidal", "edema", "tab", "dose", "strength", "level", "loc", "aaox", "a&o", "ox", "oriented", "cultures", "bottles", "vision", "visual", "acuity", "20/", "breath sounds", "lungs", "mae", "grip", "lips", "deltoid", "biceps", "triceps", "quad"} {
		if strings.HasSuffix(strings.TrimRight(before, " :="), strings.TrimRight(w, " ")) || strings.HasSuffix(before, w) {
			return true
		}
	}
	for _, w := range []string{"pain", "strength", "murmur", "scale", "sets", "bottles", "cultures", "tab", "ns", "strength", "dose", "pulses", "power", "bilat", "b/l", "throughout", "extrem", "ue", "le", "grip", "motor", "reflex", "normal saline", "of ", "mmhg", "mm", "cm", "inch", "of the", "ratio", "times", "x/", "units", "grade", "systolic", "diastolic", "sem", "hsm", "blowing", "ejection", "holosystolic"} {
		if strings.HasPrefix(after, w) {
			return true
		}
	}
	// n/10, n/5, n/4, n/6 with the numerator not larger: a score (0/10 pain,
	// 4/5 strength, 2/4 pulses, 3/6 murmur), unless a date cue precedes.
	if (b == 10 || b == 5 || b == 4 || b == 6 || b == 3 || b == 2) && a <= b && !hasDateCue(before) {
		return true
	}
	return false
}

// Words after "2-3" that make it a range of amounts, and words before it.
var (
	rangeAfter = []string{"l", "lpm", "liters", "litres", "lnc", "mg", "mcg", "g", "gm", "grams", "units", "u", "meq", "ml", "cc", "times",
		"x", "day", "days", "d", "hour", "hours", "hrs", "hr", "h", "weeks", "week", "wks", "wk", "months", "month", "mos", "mo", "min", "mins", "minutes",
		"sec", "seconds", "beats", "breaths", "bpm", "%", "cm", "mm", "in", "inch", "inches", "tab", "tabs", "tablets", "caps", "capsules", "puffs",
		"drops", "lbs", "lb", "kg", "ft", "feet", "steps", "episodes", "stools", "bms", "bm", "loose", "large", "small", "medium", "per",
		"year", "years", "yrs", "yr", "y", "yo", "mmhg", "degrees", "pillows", "people", "servings", "cups", "glasses", "beers",
		"drinks", "packs", "ppd", "cigarettes", "cig", "sessions", "visits", "nights", "night", "shifts", "doses", "sprays", "vials", "bags",
		"bottles", "cycles", "rounds", "sutures", "staples", "stitches", "lesions", "polyps", "nodes", "vessels", "stents",
		"grafts", "levels", "ribs", "o'clock", "am", "pm", "more", "fold", "point", "words", "word", "times/day", "x/day",
		"meals", "voids", "pads", "diapers", "liter", "units/hr", "ml/hr", "cc/hr", "mcg/kg/min", "mg/hr", "+", "beds", "nurses",
		"blocks", "flights", "stairs", "laps", "lengths", "attempts", "tries", "sticks", "pounds", "ounces", "oz", "s", "mcg/min",
		"inches", "cms", "gtts", "gtt", "lpm", "nc", "ra", "sats", "pillow", "servings", "portions", "bites", "sips", "spoonfuls", "bottles", "stool", "assist", "person", "people"}
	rangeBefore = []string{"x", "q", "every", "for", "within", "about", "approx", "approximately", "~", "around", "rr", "hr", "sats",
		"sat", "pain", "grade", "gcs", "score", "level", "stage", "ages", "aged", "size", "#", "room", "rm", "bed", "apt", "floor", "page",
		"pages", "pp", "lines", "ribs", "take", "takes", "took", "give", "gave", "given", "dose", "doses", "drink", "drinks", "smoked", "smokes",
		"needs", "needed", "need", "walks", "walked", "ambulated", "ambulates", "last", "past", "next", "used", "uses", "using", "wean", "weaned",
		"titrate", "titrated", "increase", "increased", "decrease", "decreased", "up", "down", "by", "from", "to", "ranging", "range", "between",
		"rate", "qty", "with", "on", "at", "in"}
)

// looksLikeRange: "2-3 L", "in 2-3 weeks", "x 3-4": an amount, not a date.
func looksLikeRange(before, after string) bool {
	aw := after
	if i := strings.IndexAny(aw, " ,.;:)\n"); i >= 0 {
		aw = aw[:i]
	}
	if aw == "" {
		return false
	}
	for _, w := range rangeAfter {
		if aw == w {
			return true
		}
	}
	bw := strings.TrimRight(before, " ")
	if i := strings.LastIndexAny(bw, " (\n"); i >= 0 {
		bw = bw[i+1:]
	}
	for _, w := range rangeBefore {
		if bw == w {
			return true
		}
	}
	return false
}

// hasDateCue: the words before a bare number pair that make it a date.
func hasDateCue(before string) bool {
	before = strings.TrimRight(before, " :")
	for _, w := range []string{" on", " since", " from", " until", " till", "dated", " date", "dob", "dos", " admitted", " admit", " discharged", " seen", " last", " started", " began", " due", " scheduled", " d/c", " adm", " onset", "doa", "dod", " through", " thru", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", " mon", " tue", " tues", " wed", " thu", " thurs", " fri", " next", " follow-up", " f/u", " appt", " appointment", " dated"} {
		if strings.HasSuffix(before, w) || before == strings.TrimSpace(w) {
			return true
		}
	}
	return false
}

// partOfLonger: the match continues a longer number, date or ratio
// ("450/14/5/40%", "12.5/3", "3/4.5").
func partOfLonger(text string, start, end int) bool {
	if start > 0 && strings.IndexByte("/-.:+", text[start-1]) >= 0 {
		return true
	}
	if end < len(text) && strings.IndexByte("/-.:+%", text[end]) >= 0 && !(text[end] == '.' && (end+1 == len(text) || text[end+1] == ' ' || text[end+1] == '\n')) {
		return true
	}
	return false
}

func atoi(s string) int {
	v, err := strconv.Atoi(s)
	if err != nil {
		return -1
	}
	return v
}
