package deid

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Policy chooses what replaces a PHI span.
type Policy int

const (
	// Placeholder writes the type in brackets: "[NAME]", "[DATE]".
	Placeholder Policy = iota
	// Surrogate writes a realistic stand-in: the same value maps to the
	// same surrogate within a document, dates move by the patient's shift
	// (intervals between dates are preserved), digits keep their layout.
	Surrogate
)

// ParsePolicy reads "placeholder" or "surrogate".
func ParsePolicy(s string) (Policy, bool) {
	switch s {
	case "placeholder":
		return Placeholder, true
	case "surrogate":
		return Surrogate, true
	}
	return 0, false
}

// Replacer rewrites text, replacing detected spans. Build it once; it is
// safe for concurrent use (per-document state lives in Redact's call).
type Replacer struct {
	Detector *Detector
	Policy   Policy
	// key seeds surrogates and the per-patient date shift (HMAC-SHA256).
	key []byte
}

// NewReplacer returns a replacer. shiftKey is the secret that derives each
// patient's date shift and the surrogate choice; keep it to shift later
// notes of the same patient identically, never publish it. An empty key
// draws a random one, so shifts are consistent only within this process.
func NewReplacer(d *Detector, p Policy, shiftKey []byte) *Replacer {
	if len(shiftKey) == 0 {
		shiftKey = make([]byte, 32)
		if _, err := rand.Read(shiftKey); err != nil {
			panic("deid: no randomness for the shift key: " + err.Error())
		}
	}
	return &Replacer{Detector: d, Policy: p, key: append([]byte(nil), shiftKey...)}
}

// ShiftDays is the date shift of a patient: between -365 and -1 days,
// derived from the key with HMAC-SHA256 so it is stable across runs and
// unguessable without the key.
func (r *Replacer) ShiftDays(patient string) int {
	h := r.mac("shift", patient)
	return -1 - int(binary.BigEndian.Uint64(h)%365)
}

func (r *Replacer) mac(parts ...string) []byte {
	m := hmac.New(sha256.New, r.key)
	for _, p := range parts {
		m.Write([]byte(p))
		m.Write([]byte{0})
	}
	return m.Sum(nil)
}

// Redact detects and replaces PHI in text. patient groups documents that
// share a date shift (a patient or subject id); "" uses one shift for all.
// It returns the new text and the spans found (code points of the input).
func (r *Replacer) Redact(text, patient string) (string, []Span) {
	if !utf8.ValidString(text) {
		text = toValidUTF8(text)
	}
	bs := r.Detector.DetectBytes(text)
	return r.Apply(text, bs, patient), toRunes(text, bs)
}

// Apply replaces the given byte spans of text (from DetectBytes).
func (r *Replacer) Apply(text string, spans []ByteSpan, patient string) string {
	if len(spans) == 0 {
		return text
	}
	var b strings.Builder
	b.Grow(len(text))
	doc := docState{r: r, patient: patient, seen: map[string]string{}, shift: r.ShiftDays(patient)}
	last := 0
	for _, s := range spans {
		if s.Start < last || s.End > len(text) {
			continue // not from DetectBytes on this text; skip rather than corrupt
		}
		b.WriteString(text[last:s.Start])
		if r.Policy == Placeholder {
			b.WriteString("[" + string(s.Type) + "]")
		} else {
			b.WriteString(doc.surrogate(s.Type, text[s.Start:s.End]))
		}
		last = s.End
	}
	b.WriteString(text[last:])
	return b.String()
}

// docState keeps one document's surrogate map.
type docState struct {
	r       *Replacer
	patient string
	seen    map[string]string
	shift   int
}

func (d *docState) pick(kind, value string, n int) int {
	h := d.r.mac("surrogate", kind, strings.ToLower(value))
	return int(binary.BigEndian.Uint64(h) % uint64(n))
}

func (d *docState) surrogate(t Type, v string) string {
	key := string(t) + "\x00" + strings.ToLower(v)
	if s, ok := d.seen[key]; ok {
		return s
	}
	var s string
	switch t {
	case Name:
		s = d.name(v)
	case Date:
		s = shiftDate(v, d.shift)
	case Age:
		s = "90+"
	case Email:
		s = "user" + d.digits("email", v, "####") + "@example.com"
	case URL:
		s = "https://example.org/" + d.digits("url", v, "####")
	case IP:
		s = "192.0.2." + trimZeros(d.digits("ip", v, "##"))
	case SSN:
		// Area 9xx is never issued, so a surrogate cannot be a real SSN.
		s = "9" + d.digits("ssn", v, mask(v)[1:])
	case Location:
		s = d.location(v)
	case Hospital:
		s = d.pickFrom(surnamesList(), "hospital", v) + " General Hospital"
	default: // Phone, ID: same layout, other digits and letters
		s = d.digits(string(t), v, mask(v))
	}
	d.seen[key] = s
	return s
}

// name maps each word of a name to a surrogate word, so "John Smith" and
// "Smith" stay consistent; titles and initials keep their shape.
func (d *docState) name(v string) string {
	var b strings.Builder
	i := 0
	for i < len(v) {
		r, n := utf8.DecodeRuneInString(v[i:])
		if !unicode.IsLetter(r) {
			b.WriteRune(r)
			i += n
			continue
		}
		j := i
		for j < len(v) {
			r2, n2 := utf8.DecodeRuneInString(v[j:])
			if !unicode.IsLetter(r2) && r2 != '\'' {
				break
			}
			j += n2
		}
		w := v[i:j]
		lw := strings.ToLower(w)
		switch {
		case titleCues[lw] || len(w) == 1:
			b.WriteString(w)
		default:
			k := "name\x00" + lw
			s, ok := d.seen[k]
			if !ok {
				if class(lw)&wFirst != 0 {
					s = d.pickFrom(firstList(), "first", lw)
				} else {
					s = d.pickFrom(surnamesList(), "last", lw)
				}
				d.seen[k] = s
			}
			if isUpperWord(w) {
				s = strings.ToUpper(s)
			}
			b.WriteString(s)
		}
		i = j
	}
	return b.String()
}

func (d *docState) location(v string) string {
	if v != "" && v[0] >= '0' && v[0] <= '9' {
		if countDigits(v) == len(strings.TrimSpace(v)) || strings.Count(v, "-") == 1 && countDigits(v) >= 9 {
			return d.digits("zip", v, mask(v)) // a ZIP code
		}
		return trimZeros(d.digits("street", v, "###")) + " " + d.pickFrom(surnamesList(), "street", v) + " Street"
	}
	return d.pickFrom(citiesList(), "city", v)
}

func (d *docState) pickFrom(list []string, kind, v string) string {
	if len(list) == 0 {
		return "[" + kind + "]"
	}
	return list[d.pick(kind, v, len(list))]
}

// digits fills a mask ('#' digit, 'A' letter, others kept) from the HMAC
// of the value.
func (d *docState) digits(kind, v, m string) string {
	h := d.r.mac("digits", kind, v)
	out := []byte(m)
	k := 0
	for i, c := range out {
		switch c {
		case '#':
			out[i] = '0' + h[k%len(h)]%10
			k++
		case 'A':
			out[i] = 'A' + h[k%len(h)]%26
			k++
		}
	}
	return string(out)
}

// mask turns "617-555-0142" into "###-###-####" and "A77120934" into
// "A########" (letters become 'A').
func mask(v string) string {
	var b strings.Builder
	for _, r := range v {
		switch {
		case r >= '0' && r <= '9':
			b.WriteByte('#')
		case unicode.IsLetter(r):
			b.WriteByte('A')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func trimZeros(s string) string {
	t := strings.TrimLeft(s, "0")
	if t == "" {
		return "1"
	}
	return t
}

var (
	surrOnce                      sync.Once
	firstSurr, lastSurr, citySurr []string
)

// Surrogate pools: the shipped dictionaries, minus ambiguous words.
func firstList() []string {
	loadSurrogates()
	return firstSurr
}

func surnamesList() []string {
	loadSurrogates()
	return lastSurr
}

func citiesList() []string {
	loadSurrogates()
	return citySurr
}

func loadSurrogates() {
	surrOnce.Do(func() {
		loadDicts()
		pool := func(txt string, skip uint8) []string {
			var out []string
			for _, l := range strings.Split(txt, "\n") {
				l = strings.TrimSpace(l)
				if l == "" || l[0] == '#' || class(l)&skip != 0 {
					continue
				}
				out = append(out, l)
			}
			return out
		}
		firstSurr = pool(firstNamesTxt, wEnglish|wClinical)
		lastSurr = pool(peopleNamesTxt, wEnglish|wClinical|wFirst)
		citySurr = pool(citiesTxt, wClinical)
	})
}
