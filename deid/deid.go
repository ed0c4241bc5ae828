// Package deid finds and replaces protected health information (PHI) in
// clinical free text: the HIPAA Safe Harbor identifiers that occur in notes
// (names, dates, ages over 89, phone and fax numbers, e-mail addresses, URLs,
// IP addresses, SSNs, record/account/licence/device numbers, addresses and
// facilities).
//
// Detection is rule-based and tuned for recall: regular expressions with
// checks (calendar validity, SSN area rules, Luhn, octet ranges), context
// cues ("Dr.", "wife", "MRN", "transferred from") and shipped dictionaries
// of first names, surnames and US cities (see dict/README.md for sources
// and licences). A safe-list of clinical vocabulary, eponyms, drug names and
// abbreviations keeps clinical text intact: doses, vitals ("BP 120/80"),
// lab values ("K 3.9"), ages of 89 and under, ICD codes and bare years are
// never reported.
//
// Facilities (hospitals, clinics, nursing homes) get their own type
// HOSPITAL so that surrogates stay plausible; category-blind consumers can
// treat it as LOCATION.
//
// Deliberate limits: a capitalised word found in no dictionary and behind no
// cue is kept (in clinical text such words are mostly drugs and medical
// terms); titles and credentials stay outside NAME spans ("Dr. [NAME]");
// weekdays, countries, states and bare years are not identifiers.
//
// Replacer applies a policy (typed placeholders, or per-document consistent
// surrogates with an HMAC-derived per-patient date shift) and Stream
// rewrites JSONL, CSV or plain-text rows with bounded memory.
//
// The package imports no other medbert package.
package deid

import (
	"sort"
	"unicode/utf8"
)

// Type names a PHI category. The string is what `--spans` writes and what
// placeholders show ("[NAME]").
type Type string

// PHI types reported by the detector.
const (
	Name     Type = "NAME"
	Date     Type = "DATE"
	Age      Type = "AGE"
	Phone    Type = "PHONE"
	Email    Type = "EMAIL"
	URL      Type = "URL"
	IP       Type = "IP"
	SSN      Type = "SSN"
	ID       Type = "ID"
	Location Type = "LOCATION"
	Hospital Type = "HOSPITAL"
)

// Types lists every type the detector reports, in a fixed order (reports
// and tests iterate over it).
var Types = []Type{Name, Date, Age, Phone, Email, URL, IP, SSN, ID, Location, Hospital}

// priority decides the type of a merged span when two rules overlap: the
// more specific, format-checked rule wins.
func (t Type) priority() int {
	switch t {
	case Email, URL, IP:
		return 9
	case SSN:
		return 8
	case Phone:
		return 7
	case Date:
		return 6
	case ID:
		return 5
	case Age:
		return 4
	case Hospital:
		return 3
	case Location:
		return 2
	}
	return 1
}

// Span is one PHI occurrence: [Start, End) in Unicode code points of the
// original text.
type Span struct {
	Start int  `json:"start"`
	End   int  `json:"end"`
	Type  Type `json:"type"`
}

// Options tune the detector.
type Options struct {
	// RedactYears reports bare four-digit years (1900–2099) as DATE. Safe
	// Harbor allows years, so they are kept by default.
	RedactYears bool
}

// Detector finds PHI spans. It is safe for concurrent use; build it once.
type Detector struct {
	opts Options
}

// New returns a detector. The dictionaries are loaded (once per process)
// on first use.
func New(opts Options) *Detector {
	loadDicts()
	return &Detector{opts: opts}
}

// Detect returns the PHI spans of text in code points, sorted and
// non-overlapping.
func (d *Detector) Detect(text string) []Span {
	return toRunes(text, d.DetectBytes(text))
}

// ByteSpan is a Span in UTF-8 byte offsets of the text.
type ByteSpan struct {
	Start, End int
	Type       Type
}

// DetectBytes is Detect with byte offsets, for callers that slice the
// string (Redact does). For text that is not valid UTF-8 the offsets refer
// to the text with each invalid byte replaced by U+FFFD.
func (d *Detector) DetectBytes(text string) []ByteSpan {
	if !utf8.ValidString(text) {
		// Offsets are defined over code points; replace invalid bytes
		// first so every offset maps back to a character boundary.
		text = toValidUTF8(text)
	}
	s := &scan{text: text, opts: d.opts}
	s.tokenize()
	s.patterns()
	s.names()
	s.places()
	s.propagate()
	return merge(s.found)
}

func toValidUTF8(text string) string {
	// strings.ToValidUTF8 replaces a run of bad bytes with one replacement
	// rune; a rune per byte keeps byte counts comparable for callers.
	b := make([]byte, 0, len(text)+8)
	for i := 0; i < len(text); {
		r, n := utf8.DecodeRuneInString(text[i:])
		if r == utf8.RuneError && n == 1 {
			b = utf8.AppendRune(b, utf8.RuneError)
		} else {
			b = append(b, text[i:i+n]...)
		}
		i += n
	}
	return string(b)
}

// merge sorts candidate spans and unions overlapping or touching-inside
// ones; the merged span takes the type of its highest-priority part.
func merge(c []ByteSpan) []ByteSpan {
	if len(c) == 0 {
		return nil
	}
	sort.Slice(c, func(i, j int) bool {
		if c[i].Start != c[j].Start {
			return c[i].Start < c[j].Start
		}
		return c[i].End > c[j].End
	})
	out := make([]ByteSpan, 0, len(c))
	cur := c[0]
	for _, x := range c[1:] {
		if x.Start < cur.End {
			if x.End > cur.End {
				cur.End = x.End
			}
			if x.Type.priority() > cur.Type.priority() {
				cur.Type = x.Type
			}
			continue
		}
		out = append(out, cur)
		cur = x
	}
	return append(out, cur)
}

// toRunes converts sorted byte spans to code-point spans in one pass.
func toRunes(text string, bs []ByteSpan) []Span {
	if len(bs) == 0 {
		return nil
	}
	if !utf8.ValidString(text) {
		text = toValidUTF8(text)
	}
	out := make([]Span, len(bs))
	pos, runes := 0, 0
	advance := func(to int) int {
		for pos < to {
			_, n := utf8.DecodeRuneInString(text[pos:])
			pos += n
			runes++
		}
		return runes
	}
	for i, b := range bs {
		out[i] = Span{Start: advance(b.Start), End: advance(b.End), Type: b.Type}
	}
	return out
}
