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
	ivs, err := BootstrapMany(n, 1, func(idx []int, out []float64) { out[0] = metric(idx) }, reps, alpha, seed)
	if err != nil {
		return Interval{}, err
	}
	return ivs[0], nil
}

// BootstrapMany is Bootstrap for m metrics computed together on the same
// resamples: metrics fills out[0..m-1] for the sample idx. The resamples
// depend only on n and seed, so BootstrapMany's interval for one metric
// equals Bootstrap's for it with the same seed.
func BootstrapMany(n, m int, metrics func(idx []int, out []float64), reps int, alpha float64, seed uint64) ([]Interval, error) {
	if n < 1 {
		return nil, fmt.Errorf("metrics: bootstrap needs at least 1 example, got %d", n)
	}
	if m < 1 {
		return nil, fmt.Errorf("metrics: bootstrap needs at least 1 metric, got %d", m)
	}
	if reps < 1 {
		return nil, fmt.Errorf("metrics: bootstrap needs at least 1 resample, got %d", reps)
	}
	if !(alpha > 0 && alpha < 1) {
		return nil, fmt.Errorf("metrics: bootstrap alpha %v outside (0, 1)", alpha)
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	row := make([]float64, m)
	metrics(idx, row)
	out := make([]Interval, m)
	vals := make([][]float64, m)
	for k := range out {
		if math.IsNaN(row[k]) {
			return nil, fmt.Errorf("metrics: bootstrap: metric %d is undefined (NaN) on the whole sample", k)
		}
		out[k] = Interval{Estimate: row[k], Level: 1 - alpha, Reps: reps, Seed: seed}
		vals[k] = make([]float64, 0, reps)
	}
	rng := splitMix64{seed}
	for r := 0; r < reps; r++ {
		for i := range idx {
			idx[i] = int(rng.intn(uint64(n)))
		}
		metrics(idx, row)
		for k, v := range row {
			if math.IsNaN(v) {
				out[k].Skipped++
				continue
			}
			vals[k] = append(vals[k], v)
		}
	}
	for k := range out {
		if len(vals[k]) == 0 {
			return nil, fmt.Errorf("metrics: bootstrap: metric %d was undefined (NaN) on all %d resamples", k, reps)
		}
		sort.Float64s(vals[k])
		out[k].Lo = quantile(vals[k], alpha/2)
		out[k].Hi = quantile(vals[k], 1-alpha/2)
	}
	return out, nil
}

// MetricInterval names the interval of one Report metric.
type MetricInterval struct {
	Metric string `json:"metric"`
	Interval
}

// ReportIntervals bootstraps the headline metrics of NewReport (accuracy,
// precision/recall/F1 macro and weighted, and, with probabilities,
// auc_roc, pr_auc and ece) on the same resamples of the examples; metric
// names are Report's JSON keys. A metric undefined on the whole sample
// (AUC with a class absent) is left out; resamples where it is undefined
// are skipped and counted.
func ReportIntervals(yTrue, yPred []int, probs [][]float64, labels []string, reps int, alpha float64, seed uint64) ([]MetricInterval, error) {
	if yPred == nil && probs != nil {
		yPred = Argmax(probs)
	}
	full, err := NewReport(yTrue, yPred, probs, labels)
	if err != nil {
		return nil, err
	}
	type getter struct {
		name string
		get  func(r *Report) float64
	}
	nan := math.NaN()
	optv := func(p *float64) float64 {
		if p == nil {
			return nan
		}
		return *p
	}
	all := []getter{
		{"accuracy", func(r *Report) float64 { return r.Accuracy }},
		{"precision_macro", func(r *Report) float64 { return r.PrecisionMacro }},
		{"recall_macro", func(r *Report) float64 { return r.RecallMacro }},
		{"f1_macro", func(r *Report) float64 { return r.F1Macro }},
		{"precision_weighted", func(r *Report) float64 { return r.PrecisionWeighted }},
		{"recall_weighted", func(r *Report) float64 { return r.RecallWeighted }},
		{"f1_weighted", func(r *Report) float64 { return r.F1Weighted }},
		{"auc_roc", func(r *Report) float64 { return optv(r.AUCROC) }},
		{"pr_auc", func(r *Report) float64 { return optv(r.PRAUC) }},
		{"ece", func(r *Report) float64 { return optv(r.ECE) }},
	}
	var used []getter
	for _, g := range all {
		if !math.IsNaN(g.get(full)) {
			used = append(used, g)
		}
	}
	yt, yp := make([]int, len(yTrue)), make([]int, len(yTrue))
	var pr [][]float64
	if probs != nil {
		pr = make([][]float64, len(yTrue))
	}
	ivs, err := BootstrapMany(len(yTrue), len(used), func(idx []int, out []float64) {
		for k, i := range idx {
			yt[k], yp[k] = yTrue[i], yPred[i]
			if pr != nil {
				pr[k] = probs[i]
			}
		}
		r, err := NewReport(yt, yp, pr, labels)
		for k, g := range used {
			out[k] = nan
			if err == nil {
				out[k] = g.get(r)
			}
		}
	}, reps, alpha, seed)
	if err != nil {
		return nil, err
	}
	out := make([]MetricInterval, len(used))
	for k, g := range used {
		out[k] = MetricInterval{Metric: g.name, Interval: ivs[k]}
	}
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
