package deid

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzDetect: no panic; spans sorted, non-overlapping and inside the text;
// redacted text valid UTF-8 with every span replaced.
func FuzzDetect(f *testing.F) {
	for _, s := range []string{
		"", "Dr. Smith saw pt on 7/22/2023, BP 120/80.", "MRN 1234567 SSN 078-05-1120 (617) 555-0142",
		"J. O'Brien-Smith, RN\n92 yo F from Boston, MA 02114", "\xff\xfe bad utf8 Dr. \xc3", "Mr. 🙂 Émile Zola à Paris",
		"ninety-two years old; 12/31/99; 2023-13-45; 1.2.3.4; ::1; a@b.co", "Hospital of the University of Pennsylvania",
	} {
		f.Add(s)
	}
	d := New(Options{RedactYears: true})
	r := NewReplacer(d, Surrogate, []byte("fuzz key"))
	p := NewReplacer(d, Placeholder, []byte("fuzz key"))
	f.Fuzz(func(t *testing.T, text string) {
		spans := d.Detect(text)
		n := utf8.RuneCountInString(text)
		prev := 0
		for _, s := range spans {
			if s.Start < prev || s.End <= s.Start || s.End > n {
				t.Fatalf("bad span %+v (prev end %d, %d runes)", s, prev, n)
			}
			prev = s.End
		}
		for _, rep := range []*Replacer{r, p} {
			out, _ := rep.Redact(text, "p")
			if !utf8.ValidString(out) {
				t.Fatalf("invalid UTF-8 out of %q", text)
			}
		}
		out, _ := p.Redact(text, "p")
		if got := strings.Count(out, "["); got < len(spans) {
			t.Fatalf("%d placeholders for %d spans", got, len(spans))
		}
	})
}
