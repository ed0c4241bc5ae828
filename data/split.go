package data

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
)

// Ratios are the fractions of a train/validation/test split. They must be
// non-negative and sum to 1 (within 1e-9).
type Ratios struct{ Train, Validation, Test float64 }

func (r Ratios) check() error {
	if r.Train < 0 || r.Validation < 0 || r.Test < 0 || math.Abs(r.Train+r.Validation+r.Test-1) > 1e-9 {
		return fmt.Errorf("split ratios %v/%v/%v must be non-negative and sum to 1", r.Train, r.Validation, r.Test)
	}
	return nil
}

// rng is PCG seeded from the split seed. The shuffle is written out here
// (not rand.Shuffle) so the split depends only on PCG's specified output,
// not on how a Go release maps it to a range.
type rng struct{ p *rand.PCG }

func newRNG(seed uint64) rng { return rng{rand.NewPCG(seed, 0x6d656462657274)} } // "medbert"

// below returns a uniform integer in [0, n) by rejection (no modulo bias).
func (r rng) below(n uint64) uint64 {
	limit := math.MaxUint64 - math.MaxUint64%n
	for {
		if v := r.p.Uint64(); v < limit {
			return v % n
		}
	}
}

func (r rng) shuffle(s []int) {
	for i := len(s) - 1; i > 0; i-- {
		j := int(r.below(uint64(i + 1)))
		s[i], s[j] = s[j], s[i]
	}
}

// StratifiedSplit assigns rows to train/validation/test so each label's
// share is kept: within each label (in sorted order) the rows are shuffled
// with a PCG stream seeded by seed, then round(n·Test) go to test,
// round(n·Validation) to validation, the rest to train. groups, when not
// nil, keeps rows with the same group key together (duplicates of one text
// never straddle train and test); a group is stratified by its first row's
// label. The result lists row indices in ascending order; the same inputs
// and seed always give the same split.
func StratifiedSplit(labels, groups []string, r Ratios, seed uint64) (train, val, test []int, err error) {
	if err := r.check(); err != nil {
		return nil, nil, nil, err
	}
	if groups != nil && len(groups) != len(labels) {
		return nil, nil, nil, fmt.Errorf("%d group keys for %d rows", len(groups), len(labels))
	}
	// Group rows (each row alone without groups), groups in first-seen order.
	groupOf := map[string]int{}
	var members [][]int
	for i := range labels {
		if groups == nil {
			members = append(members, []int{i})
			continue
		}
		g, ok := groupOf[groups[i]]
		if !ok {
			g = len(members)
			groupOf[groups[i]] = g
			members = append(members, nil)
		}
		members[g] = append(members[g], i)
	}
	strata := map[string][]int{}
	for g, m := range members {
		l := labels[m[0]]
		strata[l] = append(strata[l], g)
	}
	keys := make([]string, 0, len(strata))
	for k := range strata {
		keys = append(keys, k)
	}
	SortLabels(keys)
	rg := newRNG(seed)
	for _, k := range keys {
		gs := strata[k]
		rg.shuffle(gs)
		n := float64(len(gs))
		nTest := int(math.Round(n * r.Test))
		nVal := min(int(math.Round(n*r.Validation)), len(gs)-nTest)
		for i, g := range gs {
			switch {
			case i < nTest:
				test = append(test, members[g]...)
			case i < nTest+nVal:
				val = append(val, members[g]...)
			default:
				train = append(train, members[g]...)
			}
		}
	}
	sort.Ints(train)
	sort.Ints(val)
	sort.Ints(test)
	return train, val, test, nil
}

// SplitExamples is StratifiedSplit on examples, grouping identical
// (Text, TextPair) so a duplicated text never lands in two splits.
func SplitExamples(ex []Example, r Ratios, seed uint64) (train, val, test []Example, err error) {
	labels := make([]string, len(ex))
	groups := make([]string, len(ex))
	for i, e := range ex {
		labels[i] = e.Label
		groups[i] = e.Text + "\x00" + e.TextPair
	}
	ti, vi, si, err := StratifiedSplit(labels, groups, r, seed)
	if err != nil {
		return nil, nil, nil, err
	}
	pick := func(idx []int) []Example {
		out := make([]Example, len(idx))
		for i, j := range idx {
			out[i] = ex[j]
		}
		return out
	}
	return pick(ti), pick(vi), pick(si), nil
}
