package deid

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

var (
	reShiftNum   = regexp.MustCompile(`^(\d{1,4})([/\-.])(\d{1,2})(?:([/\-.])(\d{2,4}))?$`)
	reShiftMonth = regexp.MustCompile(`(?i)^(?:(\d{1,2})(st|nd|rd|th)?(\s+of\s+|\s*[\-/]\s*|\s+))?(` + monthRe + `)(\.?)(?:(\s*)(\d{1,2})(st|nd|rd|th)?\b)?(?:(,?\s*|[\-/]|\s+of\s+)(\d{4}|'?\d{2}))?$`)
	monthNames   = []string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
)

// shiftDate moves a date string by days, keeping its written form. A date
// without a year is shifted within a leap reference year; forms it cannot
// read ("Christmas", "the 3rd") become "[DATE]".
func shiftDate(v string, days int) string {
	v = strings.TrimSpace(v)
	if m := reShiftNum.FindStringSubmatch(v); m != nil {
		return shiftNumeric(m, days)
	}
	if m := reShiftMonth.FindStringSubmatch(v); m != nil {
		return shiftNamed(m, days)
	}
	return "[DATE]"
}

func pad(v, width int) string { return fmt.Sprintf("%0*d", width, v) }

// width is the zero-padding of a written number: "07" pads to 2, "7" and
// "22" do not pad.
func width(s string) int {
	if len(s) > 1 && s[0] == '0' {
		return len(s)
	}
	return 1
}

func shiftNumeric(m []string, days int) string {
	a, sep1, b, sep2, c := m[1], m[2], m[3], m[4], m[5]
	const refYear = 2000 // a leap year: Feb 29 without a year still shifts
	switch {
	case len(a) == 4 && c != "": // yyyy-mm-dd
		t := date(atoi(a), atoi(b), atoi(c))
		if t.IsZero() {
			return "[DATE]"
		}
		t = t.AddDate(0, 0, days)
		return pad(t.Year(), 4) + sep1 + pad(int(t.Month()), width(b)) + sep2 + pad(t.Day(), width(c))
	case len(a) <= 2 && c == "" && len(b) <= 2: // m/d
		mo, d := atoi(a), atoi(b)
		t := date(refYear, mo, d)
		if t.IsZero() {
			return "[DATE]"
		}
		t = t.AddDate(0, 0, days)
		return pad(int(t.Month()), width(a)) + sep1 + pad(t.Day(), width(b))
	case len(a) <= 2 && c != "": // m/d/y or d/m/y when the first is > 12
		y := atoi(c)
		if len(c) == 2 {
			y += 1900
			if y < 1930 {
				y += 100
			}
		}
		mo, d, swapped := atoi(a), atoi(b), false
		if mo > 12 {
			mo, d, swapped = d, mo, true
		}
		t := date(y, mo, d)
		if t.IsZero() {
			return "[DATE]"
		}
		t = t.AddDate(0, 0, days)
		first, second := pad(int(t.Month()), width(a)), pad(t.Day(), width(b))
		if swapped {
			first, second = pad(t.Day(), width(a)), pad(int(t.Month()), width(b))
		}
		year := pad(t.Year(), 4)
		if len(c) == 2 {
			year = pad(t.Year()%100, 2)
		}
		return first + sep1 + second + sep2 + year
	}
	return "[DATE]"
}

func shiftNamed(m []string, days int) string {
	dayBefore, ord1, sepBefore, month, dot, spaceAfter, dayAfter, ord2, sepYear, year := m[1], m[2], m[3], m[4], m[5], m[6], m[7], m[8], m[9], m[10]
	mo := monthIndex(month)
	if mo == 0 {
		return "[DATE]"
	}
	y := 2000
	hasYear := year != ""
	if hasYear {
		ys := strings.TrimPrefix(year, "'")
		y = atoi(ys)
		if len(ys) == 2 {
			y += 1900
			if y < 1930 {
				y += 100
			}
		}
	}
	d, dayFirst := 15, false // month-only dates shift their middle day
	switch {
	case dayBefore != "":
		d, dayFirst = atoi(dayBefore), true
	case dayAfter != "":
		d = atoi(dayAfter)
	}
	t := date(y, mo, d)
	if t.IsZero() {
		return "[DATE]"
	}
	t = t.AddDate(0, 0, days)
	name := monthLike(month, int(t.Month()))
	yearOut := ""
	if hasYear {
		yearOut = sepYear + pad(t.Year(), 4)
		if len(strings.TrimPrefix(year, "'")) == 2 {
			yearOut = sepYear + strings.TrimSuffix(year, strings.TrimPrefix(year, "'")) + pad(t.Year()%100, 2)
		}
	}
	switch {
	case dayFirst:
		return fmt.Sprint(t.Day()) + ordinal(ord1, t.Day()) + sepBefore + name + dot + yearOut
	case dayAfter != "":
		return name + dot + spaceAfter + fmt.Sprint(t.Day()) + ordinal(ord2, t.Day()) + yearOut
	}
	return name + dot + yearOut
}

func date(y, m, d int) time.Time {
	if m < 1 || m > 12 || d < 1 || d > 31 || y < 1 {
		return time.Time{}
	}
	t := time.Date(y, time.Month(m), d, 12, 0, 0, 0, time.UTC)
	if t.Day() != d {
		return time.Time{} // 31 April
	}
	return t
}

func monthIndex(s string) int {
	ls := strings.ToLower(strings.TrimSuffix(s, "."))
	for i, n := range monthNames {
		ln := strings.ToLower(n)
		if ls == ln || len(ls) >= 3 && strings.HasPrefix(ln, ls) || ls == "sept" && i == 8 {
			return i + 1
		}
	}
	return 0
}

// monthLike writes month mo in the style of the original ("Jul", "JULY").
func monthLike(orig string, mo int) string {
	n := monthNames[mo-1]
	if len(orig) <= 4 && len(orig) < len(n) {
		n = n[:3]
		if strings.EqualFold(orig, "sept") {
			n = monthNames[mo-1][:3]
		}
	}
	switch {
	case isUpperWord(orig):
		return strings.ToUpper(n)
	case isLowerWord(orig):
		return strings.ToLower(n)
	}
	return n
}

func ordinal(orig string, d int) string {
	if orig == "" {
		return ""
	}
	suf := "th"
	switch {
	case d%10 == 1 && d != 11:
		suf = "st"
	case d%10 == 2 && d != 12:
		suf = "nd"
	case d%10 == 3 && d != 13:
		suf = "rd"
	}
	if isUpperWord(orig) {
		return strings.ToUpper(suf)
	}
	return suf
}
