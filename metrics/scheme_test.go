package metrics

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// parseEnts reads "PER 0 1; ORG 1 2" (end exclusive, as seqeval.scheme
// reports it) into entities.
func parseEnts(t *testing.T, s string) []Entity {
	t.Helper()
	var out []Entity
	for _, part := range strings.Split(s, ";") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		var e Entity
		if _, err := fmt.Sscan(part, &e.Type, &e.Start, &e.End); err != nil {
			t.Fatalf("bad case %q: %v", s, err)
		}
		out = append(out, e)
	}
	return out
}

// Expected entities are the parametrised cases of seqeval's
// tests/test_scheme.py (strict mode, Tokens(tokens, SCHEME).entities),
// whose end index is already exclusive. IOE1's one case that seqeval
// itself marks unfinished (I-PER E-PER) is left out, as there.
func TestStrictEntitiesSeqevalCases(t *testing.T) {
	cases := map[Scheme][][2]string{
		IOB1: {
			{"", ""}, {"B-PER", ""}, {"I-PER", "PER 0 1"}, {"O", ""}, {"O I-PER", "PER 1 2"},
			{"O B-PER", ""}, {"I-PER O", "PER 0 1"}, {"I-PER I-PER", "PER 0 2"},
			{"I-PER I-ORG", "PER 0 1; ORG 1 2"}, {"I-PER B-PER", "PER 0 1; PER 1 2"},
			{"I-PER B-ORG", "PER 0 1"}, {"B-PER O", ""}, {"B-PER I-PER", "PER 1 2"},
			{"B-PER I-ORG", "ORG 1 2"}, {"B-PER B-PER", "PER 1 2"}, {"B-PER B-ORG", ""},
			{"I I", "_ 0 2"}, {"B I", "_ 1 2"},
		},
		IOB2: {
			{"", ""}, {"B-PER", "PER 0 1"}, {"I-PER", ""}, {"O", ""}, {"O I-PER", ""},
			{"O B-PER", "PER 1 2"}, {"I-PER O", ""}, {"I-PER I-PER", ""}, {"I-PER I-ORG", ""},
			{"I-PER B-PER", "PER 1 2"}, {"I-PER B-ORG", "ORG 1 2"}, {"B-PER O", "PER 0 1"},
			{"B-PER I-PER", "PER 0 2"}, {"B-PER I-ORG", "PER 0 1"},
			{"B-PER B-PER", "PER 0 1; PER 1 2"}, {"B-PER B-ORG", "PER 0 1; ORG 1 2"},
			{"B I", "_ 0 2"}, {"I B", "_ 1 2"},
		},
		IOE1: {
			{"", ""}, {"E-PER", ""}, {"I-PER", "PER 0 1"}, {"O I-PER", "PER 1 2"}, {"O E-PER", ""},
			{"I-PER O", "PER 0 1"}, {"I-PER I-PER", "PER 0 2"}, {"I-PER I-ORG", "PER 0 1; ORG 1 2"},
			{"I-PER E-ORG", "PER 0 1"}, {"E-PER O", ""}, {"E-PER I-PER", "PER 1 2"},
			{"E-PER I-ORG", "ORG 1 2"}, {"E-PER E-PER", ""}, {"E-PER E-ORG", ""},
		},
		IOE2: {
			{"", ""}, {"E-PER", "PER 0 1"}, {"I-PER", ""}, {"O I-PER", ""}, {"O E-PER", "PER 1 2"},
			{"I-PER O", ""}, {"I-PER I-PER", ""}, {"I-PER I-ORG", ""}, {"I-PER E-PER", "PER 0 2"},
			{"I-PER E-ORG", "ORG 1 2"}, {"E-PER O", "PER 0 1"}, {"E-PER I-PER", "PER 0 1"},
			{"E-PER I-ORG", "PER 0 1"}, {"E-PER E-PER", "PER 0 1; PER 1 2"},
			{"E-PER E-ORG", "PER 0 1; ORG 1 2"},
		},
		IOBES: {
			{"O", ""}, {"I-PER", ""}, {"B-PER", ""}, {"E-PER", ""}, {"S-PER", "PER 0 1"},
			{"O S-PER", "PER 1 2"}, {"I-PER I-PER", ""}, {"I-PER E-PER", ""}, {"I-PER S-PER", "PER 1 2"},
			{"B-PER O", ""}, {"B-PER I-PER", ""}, {"B-PER B-PER", ""}, {"B-PER E-PER", "PER 0 2"},
			{"B-PER E-ORG", ""}, {"B-PER S-PER", "PER 1 2"}, {"E-PER S-PER", "PER 1 2"},
			{"S-PER O", "PER 0 1"}, {"S-PER I-PER", "PER 0 1"}, {"S-PER B-PER", "PER 0 1"},
			{"S-PER E-PER", "PER 0 1"}, {"S-PER S-PER", "PER 0 1; PER 1 2"},
			// Longer, hand-traced: B I E is one entity; B I O is none.
			{"B-X I-X E-X O B-X I-X O", "X 0 3"},
		},
		// BILOU is IOBES with L for E and U for S.
		BILOU: {
			{"U-PER", "PER 0 1"}, {"B-PER L-PER", "PER 0 2"}, {"B-PER I-PER L-PER U-ORG", "PER 0 3; ORG 3 4"},
			{"B-PER I-PER O", ""}, {"L-PER", ""},
		},
	}
	for s, cs := range cases {
		for _, c := range cs {
			got, err := StrictEntities(strings.Fields(c[0]), s)
			if err != nil {
				t.Errorf("%v %q: %v", s, c[0], err)
				continue
			}
			if want := parseEnts(t, c[1]); !reflect.DeepEqual(got, want) {
				t.Errorf("%v %q: got %v, want %v", s, c[0], got, want)
			}
		}
	}
}

func TestStrictEntitiesInvalidPrefix(t *testing.T) {
	for s, tags := range map[Scheme]string{IOB2: "B-X S-X", IOB1: "E-X", IOE2: "B-X", IOBES: "U-X", BILOU: "S-X"} {
		if _, err := StrictEntities(strings.Fields(tags), s); err == nil {
			t.Errorf("%v accepted %q", s, tags)
		}
	}
	if _, err := StrictEntities([]string{"O", ""}, IOB2); err == nil {
		t.Error("empty tag accepted")
	}
	if _, err := StrictEntities([]string{"O"}, Scheme(99)); err == nil {
		t.Error("unknown scheme accepted")
	}
}

func TestParseScheme(t *testing.T) {
	for name, want := range map[string]Scheme{"bio": IOB2, "IOB2": IOB2, "iob1": IOB1, "BIOES": IOBES, "iobes": IOBES, "IOE1": IOE1, "ioe2": IOE2, "BILOU": BILOU} {
		got, err := ParseScheme(name)
		if err != nil || got != want {
			t.Errorf("ParseScheme(%q) = %v, %v; want %v", name, got, err, want)
		}
	}
	if _, err := ParseScheme("IOX"); err == nil {
		t.Error("IOX accepted")
	}
}

// FuzzEntities feeds arbitrary space-separated tags to both readers: they
// must not panic; for valid tags, entities must lie inside the sequence
// and not overlap,
// and under IOB2 every strict entity is also a default-mode entity (strict
// only drops chunks, it never makes new ones).
func FuzzEntities(f *testing.F) {
	for _, s := range []string{"B-X I-X O", "I-X I-Y", "B-X B-X", "O I-PER B-PER", "B I I-X", "S-X E-X", "", "B-- I--", "B0-", "B I0-", "SX 0X"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tags := strings.Fields(s)
		def := Entities(tags) // must not panic on anything
		for _, tag := range tags {
			if !validDefaultTag(tag) {
				return // as in seqeval, invalid tags can give overlapping spans
			}
		}
		checkSpans(t, def, len(tags))
		strict, err := StrictEntities(tags, IOB2)
		if err != nil {
			return
		}
		checkSpans(t, strict, len(tags))
		// The readers split types differently ("B0-" is type "_" by
		// default, "0" strictly, as in seqeval); compare only tags both
		// read alike: a bare prefix or prefix, '-', type without '-'.
		for _, tag := range tags {
			if len(tag) > 1 && (tag[1] != '-' || len(tag) == 2 || strings.Count(tag, "-") > 1) {
				return
			}
		}
		in := map[[2]int]bool{}
		for _, e := range def {
			in[[2]int{e.Start, e.End}] = true
		}
		for _, e := range strict {
			if !in[[2]int{e.Start, e.End}] {
				t.Errorf("%q: strict entity %v not in default %v", tags, e, def)
			}
		}
	})
}

func checkSpans(t *testing.T, ents []Entity, n int) {
	t.Helper()
	end := 0
	for _, e := range ents {
		if e.Start < end || e.End <= e.Start || e.End > n {
			t.Fatalf("bad span %v in %v (n %d)", e, ents, n)
		}
		end = e.End
	}
}
