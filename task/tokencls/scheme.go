package tokencls

import (
	"fmt"
	"slices"
	"strings"

	"github.com/medbert/medbert/metrics"
)

// Scheme is a tagging scheme for entity chunks.
type Scheme string

const (
	// BIO is IOB2: B-X begins an entity, I-X continues it, O is outside.
	BIO Scheme = "bio"
	// IOBES adds E-X (last token of a multi-token entity) and S-X (a
	// single-token entity).
	IOBES Scheme = "iobes"
)

// ParseScheme maps "bio", "iob2" or "iobes" ("" is BIO) to a Scheme.
func ParseScheme(s string) (Scheme, error) {
	switch strings.ToLower(s) {
	case "", "bio", "iob2":
		return BIO, nil
	case "iobes", "bioes":
		return IOBES, nil
	}
	return "", fmt.Errorf("unknown tag scheme %q (want bio or iobes)", s)
}

// Convert rewrites a tag sequence into scheme s. The entities are those
// seqeval's default mode reads from tags (an I-X after O or after another
// type starts an entity; BILOU's L/U read as E/S), so converting changes
// the spelling of the chunks, never the chunks.
func Convert(tags []string, s Scheme) []string {
	out := make([]string, len(tags))
	for i := range out {
		out[i] = "O"
	}
	for _, e := range entities(tags) {
		for j := e.Start; j < e.End; j++ {
			p := "I-"
			switch {
			case s == IOBES && e.End-e.Start == 1:
				p = "S-"
			case j == e.Start:
				p = "B-"
			case s == IOBES && j == e.End-1:
				p = "E-"
			}
			out[j] = p + e.Type
		}
	}
	return out
}

// entities is the one place this package reads chunks from tags
// (seqeval's default-mode get_entities, in metrics).
func entities(tags []string) []metrics.Entity {
	return metrics.Entities(normalizeTags(tags))
}

// entityScores is entity-level P/R/F1 per type (seqeval default mode,
// classification_report). Kept behind one function so a stricter metric
// (seqeval mode="strict") is a one-line change.
func entityScores(yTrue, yPred [][]string) (metrics.EntityResult, error) {
	norm := func(ss [][]string) [][]string {
		out := make([][]string, len(ss))
		for i, s := range ss {
			out[i] = normalizeTags(s)
		}
		return out
	}
	return metrics.EntityScores(norm(yTrue), norm(yPred))
}

// normalizeTags spells BILOU's L- and U- as E- and S-, which seqeval reads
// the same way; other tags are returned as they are (no copy when none
// changes).
func normalizeTags(tags []string) []string {
	var out []string
	for i, t := range tags {
		if len(t) > 1 && t[1] == '-' && (t[0] == 'L' || t[0] == 'U') {
			if out == nil {
				out = slices.Clone(tags)
			}
			if t[0] == 'L' {
				out[i] = "E" + t[1:]
			} else {
				out[i] = "S" + t[1:]
			}
		}
	}
	if out == nil {
		return tags
	}
	return out
}
