package data

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
)

// ClassCount is one label's share of a dataset.
type ClassCount struct {
	Label    string  `json:"label"`
	Count    int     `json:"count"`
	Fraction float64 `json:"fraction"`
}

// LengthStats are nearest-rank percentiles of example lengths.
type LengthStats struct {
	Min  int     `json:"min"`
	P50  int     `json:"p50"`
	P90  int     `json:"p90"`
	P95  int     `json:"p95"`
	P99  int     `json:"p99"`
	Max  int     `json:"max"`
	Mean float64 `json:"mean"`
}

// Summary describes a dataset before training: size, class balance,
// lengths and how many examples a max length would truncate.
type Summary struct {
	Rows           int          `json:"rows"`
	Classes        []ClassCount `json:"classes"` // label order (SortLabels)
	Unlabeled      int          `json:"unlabeled,omitempty"`
	LengthUnit     string       `json:"length_unit"` // "tokens", "words", ...
	Length         LengthStats  `json:"length"`
	MaxLength      int          `json:"max_length,omitempty"`
	Truncated      int          `json:"truncated"`
	TruncationRate float64      `json:"truncation_rate"`
}

// Summarize counts rows and labels and measures lengths with length (pass
// WordCount, or a tokenizer's count including [CLS]/[SEP] so truncation
// matches what the model will see). maxLen > 0 counts examples longer than
// maxLen as truncated. unit names the length unit for printing.
func Summarize(ex []Example, length func(Example) int, unit string, maxLen int) Summary {
	s := Summary{Rows: len(ex), LengthUnit: unit, MaxLength: maxLen}
	counts := map[string]int{}
	lens := make([]int, len(ex))
	total := 0
	for i, e := range ex {
		if e.Label == "" {
			s.Unlabeled++
		} else {
			counts[e.Label]++
		}
		lens[i] = length(e)
		total += lens[i]
		if maxLen > 0 && lens[i] > maxLen {
			s.Truncated++
		}
	}
	names := make([]string, 0, len(counts))
	for k := range counts {
		names = append(names, k)
	}
	SortLabels(names)
	for _, n := range names {
		s.Classes = append(s.Classes, ClassCount{n, counts[n], float64(counts[n]) / float64(len(ex))})
	}
	if len(ex) == 0 {
		return s
	}
	sort.Ints(lens)
	pct := func(p float64) int { // nearest rank: smallest value with ≥ p% at or below
		k := int(math.Ceil(p / 100 * float64(len(lens))))
		return lens[max(k, 1)-1]
	}
	s.Length = LengthStats{Min: lens[0], P50: pct(50), P90: pct(90), P95: pct(95), P99: pct(99),
		Max: lens[len(lens)-1], Mean: float64(total) / float64(len(lens))}
	s.TruncationRate = float64(s.Truncated) / float64(len(ex))
	return s
}

// WriteText prints the summary as a few aligned lines.
func (s Summary) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "rows: %d\n", s.Rows)
	if len(s.Classes) > 0 {
		b.WriteString("classes:\n")
		width := 0
		for _, c := range s.Classes {
			width = max(width, len([]rune(c.Label)))
		}
		for _, c := range s.Classes {
			fmt.Fprintf(&b, "  %-*s %7d  %5.1f%%\n", width, c.Label, c.Count, 100*c.Fraction)
		}
	}
	if s.Unlabeled > 0 {
		fmt.Fprintf(&b, "unlabeled: %d\n", s.Unlabeled)
	}
	l := s.Length
	fmt.Fprintf(&b, "length (%s): min %d  p50 %d  p90 %d  p95 %d  p99 %d  max %d  mean %.1f\n",
		s.LengthUnit, l.Min, l.P50, l.P90, l.P95, l.P99, l.Max, l.Mean)
	if s.MaxLength > 0 {
		fmt.Fprintf(&b, "truncated at %d %s: %d (%.1f%%)\n", s.MaxLength, s.LengthUnit, s.Truncated, 100*s.TruncationRate)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
