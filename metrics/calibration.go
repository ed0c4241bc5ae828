package metrics

import (
	"fmt"
	"math"
)

// argmax returns the index of the first maximum, like numpy.argmax.
func argmax(row []float64) int {
	best := 0
	for j, v := range row {
		if v > row[best] {
			best = j
		}
	}
	return best
}

// Argmax returns the predicted class (first maximum) of every row.
func Argmax(probs [][]float64) []int {
	out := make([]int, len(probs))
	for i, row := range probs {
		out[i] = argmax(row)
	}
	return out
}

// ExpectedCalibrationError is ECE with nBins equal-width bins on the
// confidence (the maximum probability of each row), the definition of
// Guo et al. 2017: ECE = Σ_b |B_b|/n · |accuracy(B_b) − mean confidence(B_b)|,
// where bin b holds confidences in (b/nBins, (b+1)/nBins] and the first bin
// also takes a confidence of exactly 0. The prediction is the argmax (first
// maximum on ties). nBins is usually 10.
func ExpectedCalibrationError(yTrue []int, probs [][]float64, nBins int) (float64, error) {
	if nBins < 1 {
		return 0, fmt.Errorf("metrics: ECE needs at least 1 bin, got %d", nBins)
	}
	if _, err := checkProbs(yTrue, probs); err != nil {
		return 0, err
	}
	count := make([]int, nBins)
	correct := make([]float64, nBins)
	conf := make([]float64, nBins)
	for i, row := range probs {
		p := argmax(row)
		c := row[p]
		if math.IsNaN(c) || c < 0 || c > 1 {
			return 0, fmt.Errorf("metrics: confidence %v at row %d outside [0, 1]", c, i)
		}
		// Bin edges are b/nBins computed by division, and a confidence on an
		// edge belongs to the lower bin (right-closed intervals).
		b := 0
		for b < nBins-1 && c > float64(b+1)/float64(nBins) {
			b++
		}
		count[b]++
		conf[b] += c
		if p == yTrue[i] {
			correct[b]++
		}
	}
	n := float64(len(probs))
	var ece float64
	for b := range count {
		if count[b] == 0 {
			continue
		}
		m := float64(count[b])
		ece += m / n * math.Abs(correct[b]/m-conf[b]/m)
	}
	return ece, nil
}
