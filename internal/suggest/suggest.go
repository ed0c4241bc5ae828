// Package suggest finds the known name closest to a mistyped one, for
// "did you mean" hints in error messages (flags, metric names).
package suggest

import "strings"

// Closest returns the candidate nearest to word by edit distance
// (Levenshtein over bytes, case-insensitive, "-" and "_" treated alike),
// and false when none is near enough to be a plausible typo: at most a
// third of the word's length, and at least 1, edits away. Ties go to the
// earlier candidate.
func Closest(word string, candidates []string) (string, bool) {
	w := fold(word)
	best, bestD := "", -1
	for _, c := range candidates {
		d := distance(w, fold(c))
		if bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	if bestD < 0 || bestD > max(1, len(word)/3) {
		return "", false
	}
	return best, true
}

func fold(s string) string {
	return strings.ReplaceAll(strings.ToLower(s), "-", "_")
}

// distance is the Levenshtein distance between a and b.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
