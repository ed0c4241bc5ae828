package metrics

import (
	"fmt"
	"strings"
)

// Scheme is a tagging scheme for strict entity reading (seqeval.scheme).
type Scheme int

// The schemes of seqeval.scheme. IOB2 is what most corpora call BIO (every
// entity starts with B-); in IOB1, B- only separates two adjacent entities
// of the same type; IOE1/IOE2 mark the last token with E-; IOBES (BIOES)
// adds E- for the last token and S- for single-token entities; BILOU is
// IOBES spelled with L- and U-.
const (
	IOB1 Scheme = iota + 1
	IOB2
	IOE1
	IOE2
	IOBES
	BILOU
)

var schemeNames = map[Scheme]string{IOB1: "IOB1", IOB2: "IOB2", IOE1: "IOE1", IOE2: "IOE2", IOBES: "IOBES", BILOU: "BILOU"}

func (s Scheme) String() string {
	if n, ok := schemeNames[s]; ok {
		return n
	}
	return fmt.Sprintf("Scheme(%d)", int(s))
}

// ParseScheme reads a scheme name, case-insensitively; BIO is IOB2 and
// BIOES is IOBES.
func ParseScheme(name string) (Scheme, error) {
	switch strings.ToUpper(name) {
	case "BIO":
		return IOB2, nil
	case "BIOES":
		return IOBES, nil
	}
	for s, n := range schemeNames {
		if strings.EqualFold(n, name) {
			return s, nil
		}
	}
	return 0, fmt.Errorf("metrics: unknown tagging scheme %q (want IOB1, IOB2/BIO, IOE1, IOE2, IOBES/BIOES or BILOU)", name)
}

// prefix is a set of chunk prefixes (seqeval's Prefix flag).
type prefix uint8

const (
	pI prefix = 1 << iota
	pO
	pB
	pE
	pS
	pL   // BILOU's "last", IOBES's E
	pU   // BILOU's "unit", IOBES's S
	pAny = pI | pO | pB | pE | pS | pL | pU
)

var prefixOf = map[byte]prefix{'I': pI, 'O': pO, 'B': pB, 'E': pE, 'S': pS, 'L': pL, 'U': pU}

type tagCond uint8

const (
	same tagCond = 1 << iota
	diff
	anyTag = same | diff
)

// pattern matches a (previous token, current token) pair.
type pattern struct {
	prev, cur prefix
	tag       tagCond
}

type schemeRules struct {
	allowed            prefix
	start, inside, end []pattern
}

// schemes transcribes the pattern tables of seqeval.scheme (IOB1, IOE1,
// IOB2, IOE2, IOBES, BILOU) as they are, including seqeval's own note that
// its IOE1 rules do not handle every case.
var schemes = map[Scheme]schemeRules{
	IOB1: {
		allowed: pI | pO | pB,
		start:   []pattern{{pO, pI, anyTag}, {pI, pI, diff}, {pB, pI, anyTag}, {pI, pB, same}, {pB, pB, same}},
		inside:  []pattern{{pB, pI, same}, {pI, pI, same}},
		end:     []pattern{{pI, pI, diff}, {pI, pO, anyTag}, {pI, pB, anyTag}, {pB, pO, anyTag}, {pB, pI, diff}, {pB, pB, same}},
	},
	IOE1: {
		allowed: pI | pO | pE,
		start:   []pattern{{pO, pI, anyTag}, {pI, pI, diff}, {pE, pI, anyTag}, {pE, pE, same}},
		inside:  []pattern{{pI, pI, same}, {pI, pE, same}},
		end:     []pattern{{pI, pI, diff}, {pI, pO, anyTag}, {pI, pE, diff}, {pE, pI, same}, {pE, pE, same}},
	},
	IOB2: {
		allowed: pI | pO | pB,
		start:   []pattern{{pAny, pB, anyTag}},
		inside:  []pattern{{pB, pI, same}, {pI, pI, same}},
		end:     []pattern{{pI, pO, anyTag}, {pI, pI, diff}, {pI, pB, anyTag}, {pB, pO, anyTag}, {pB, pI, diff}, {pB, pB, anyTag}},
	},
	IOE2: {
		allowed: pI | pO | pE,
		start:   []pattern{{pO, pI, anyTag}, {pO, pE, anyTag}, {pE, pI, anyTag}, {pE, pE, anyTag}, {pI, pI, diff}, {pI, pE, diff}},
		inside:  []pattern{{pI, pE, same}, {pI, pI, same}},
		end:     []pattern{{pE, pAny, anyTag}},
	},
	IOBES: {
		allowed: pI | pO | pB | pE | pS,
		start:   []pattern{{pAny, pB, anyTag}, {pAny, pS, anyTag}},
		inside:  []pattern{{pB, pI, same}, {pB, pE, same}, {pI, pI, same}, {pI, pE, same}},
		end:     []pattern{{pS, pAny, anyTag}, {pE, pAny, anyTag}},
	},
	BILOU: {
		allowed: pB | pI | pL | pO | pU,
		start:   []pattern{{pAny, pB, anyTag}, {pAny, pU, anyTag}},
		inside:  []pattern{{pB, pI, same}, {pB, pL, same}, {pI, pI, same}, {pI, pL, same}},
		end:     []pattern{{pU, pAny, anyTag}, {pL, pAny, anyTag}},
	},
}

// token is one parsed tag for strict reading: seqeval's Token with the
// prefix first and the type stripped of '-' ("_" when empty).
type token struct {
	p   prefix
	typ string
}

func (r *schemeRules) match(ps []pattern, prev, cur token) bool {
	for _, q := range ps {
		if prev.p&q.prev == 0 || cur.p&q.cur == 0 {
			continue
		}
		if (prev.typ == cur.typ && q.tag&same != 0) || (prev.typ != cur.typ && q.tag&diff != 0) {
			return true
		}
	}
	return false
}

// StrictEntities extracts the entities of one tag sequence as seqeval's
// mode="strict" does for scheme s (seqeval.scheme.Tokens.entities): a chunk
// counts only if it starts with a start pattern, continues with inside
// patterns and ends with an end pattern of the scheme; ill-formed chunks
// (an I- without B- in IOB2, B- I- without E- in IOBES) yield no entity. A
// tag whose prefix s does not allow is an error.
func StrictEntities(tags []string, s Scheme) ([]Entity, error) {
	rules, ok := schemes[s]
	if !ok {
		return nil, fmt.Errorf("unknown tagging scheme %v", s)
	}
	outside := token{pO, "_"}
	ext := make([]token, len(tags)+1)
	for i, t := range tags {
		var p prefix
		if t != "" {
			p = prefixOf[t[0]]
		}
		if p&rules.allowed == 0 {
			return nil, fmt.Errorf("token %d: tag %q not allowed in %v", i, t, s)
		}
		typ := strings.Trim(t[1:], "-")
		if typ == "" {
			typ = "_"
		}
		ext[i] = token{p, typ}
	}
	ext[len(tags)] = outside
	var out []Entity
	prev := outside
	for i := 0; i < len(ext); {
		tok := ext[i]
		if rules.match(rules.start, prev, tok) {
			end := i + 1
			for inPrev := tok; end < len(ext) && rules.match(rules.inside, inPrev, ext[end]); end++ {
				inPrev = ext[end]
			}
			if rules.match(rules.end, ext[end-1], ext[end]) {
				out = append(out, Entity{Type: tok.typ, Start: i, End: end})
			}
			i = end
		} else {
			i++
		}
		prev = ext[i-1]
	}
	return out, nil
}
