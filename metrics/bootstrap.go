package metrics

import (
	"fmt"
	"math"
	"math/bits"
	"sort"
)

// Interval is a percentile-bootstrap confidence interval for a metric.
type Interval struct {
	Estimate float64 `json:"estimate"` // the metric on the whole sample
	Lo       float64 `json:"lo"`
	Hi       float64 `json:"hi"`
	Level    float64 `json:"level"` // 1 − alpha, e.g. 0.95
	Reps     int     `json:"reps"`  // resamples drawn
	// Skipped counts resamples on which the metric was NaN (undefined, such
	// as AUC of a resample holding one class); the interval is taken over
	// the others.
	Skipped int    `json:"skipped"`
	Seed    uint64 `json:"seed"`
}

// splitMix64 is the SplitMix64 generator (Steele, Lea, Flood 2014): a
// fixed, documented sequence, so intervals stay reproducible across Go
// releases (math/rand makes no such promise for its bounded draws).
type splitMix64 struct{ s uint64 }

func (r *splitMix64) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// intn returns a uniform integer in [0, n) by Lemire's multiply-and-reject
// method (no modulo bias).
func (r *splitMix64) intn(n uint64) uint64 {
	hi, lo := bits.Mul64(r.next(), n)
	if lo < n {
		thresh := -n % n
		for lo < thresh {
			hi, lo = bits.Mul64(r.next(), n)
		}
	}
	return hi
}

// Bootstrap computes a percentile bootstrap confidence interval at level
// 1 − alpha for a metric over n examples. metric receives the example
// indices of one sample (with repetition; the slice is reused between
// calls, so metric must not keep it) and returns the metric on them;
// Estimate is metric(0, 1, …, n−1). reps resamples of size n are drawn with
// SplitMix64 seeded by seed, so the result is a pure function of the
// arguments. Lo and Hi are the alpha/2 and 1 − alpha/2 quantiles of the
// resampled values with linear interpolation (numpy.percentile's default).
// Resamples where metric returns NaN are skipped and counted.
func Bootstrap(n int, metric func(idx []int) float64, reps int, alpha float64, seed uint64) (Interval, error) {
	if n < 1 {
		return Interval{}, fmt.Errorf("metrics: bootstrap needs at least 1 example, got %d", n)
	}
	if reps < 1 {
		return Interval{}, fmt.Errorf("metrics: bootstrap needs at least 1 resample, got %d", reps)
	}
	if !(alpha > 0 && alpha < 1) {
		return Interval{}, fmt.Errorf("metrics: bootstrap alpha %v outside (0, 1)", alpha)
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	out := Interval{Estimate: metric(idx), Level: 1 - alpha, Reps: reps, Seed: seed}
	if math.IsNaN(out.Estimate) {
		return Interval{}, fmt.Errorf("metrics: bootstrap: the metric is undefined (NaN) on the whole sample")
	}
	rng := splitMix64{seed}
	vals := make([]float64, 0, reps)
	for r := 0; r < reps; r++ {
		for i := range idx {
			idx[i] = int(rng.intn(uint64(n)))
		}
		v := metric(idx)
		if math.IsNaN(v) {
			out.Skipped++
			continue
		}
		vals = append(vals, v)
	}
	if len(vals) == 0 {
		return Interval{}, fmt.Errorf("metrics: bootstrap: the metric was undefined (NaN) on all %d resamples", reps)
	}
	sort.Float64s(vals)
	out.Lo = quantile(vals, alpha/2)
	out.Hi = quantile(vals, 1-alpha/2)
	return out, nil
}

// quantile is numpy.percentile's default ("linear") quantile of sorted v.
func quantile(v []float64, q float64) float64 {
	pos := q * float64(len(v)-1)
	i := int(math.Floor(pos))
	if i >= len(v)-1 {
		return v[len(v)-1]
	}
	frac := pos - float64(i)
	return v[i] + frac*(v[i+1]-v[i])
}
