package metrics

import (
	"fmt"
	"math"
)

// ArgmaxRow returns the index of the largest value, the first on ties
// (as torch.argmax and numpy.argmax); -1 for an empty slice.
func ArgmaxRow[T float32 | float64](v []T) int {
	if len(v) == 0 {
		return -1
	}
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}

// Argmax returns the predicted class (first maximum) of every row.
func Argmax(probs [][]float64) []int {
	out := make([]int, len(probs))
	for i, row := range probs {
		out[i] = ArgmaxRow(row)
	}
	return out
}

// CalibrationBin is one bin of a reliability diagram: the examples whose
// confidence (maximum probability) lies in (Lo, Hi] (the first bin also
// takes exactly 0).
type CalibrationBin struct {
	Lo             float64 `json:"lo"`
	Hi             float64 `json:"hi"`
	Count          int     `json:"count"`
	MeanConfidence float64 `json:"mean_confidence"` // 0 when Count is 0
	Accuracy       float64 `json:"accuracy"`        // fraction whose argmax is right; 0 when Count is 0
}

// ReliabilityBins sorts examples into nBins equal-width confidence bins, as
// ExpectedCalibrationError does, and returns every bin (empty ones too), in
// order: the data of a reliability diagram.
func ReliabilityBins(yTrue []int, probs [][]float64, nBins int) ([]CalibrationBin, error) {
	if nBins < 1 {
		return nil, fmt.Errorf("metrics: calibration needs at least 1 bin, got %d", nBins)
	}
	if _, err := checkProbs(yTrue, probs); err != nil {
		return nil, err
	}
	bins := make([]CalibrationBin, nBins)
	correct := make([]float64, nBins)
	conf := make([]float64, nBins)
	for b := range bins {
		bins[b].Lo, bins[b].Hi = float64(b)/float64(nBins), float64(b+1)/float64(nBins)
	}
	for i, row := range probs {
		p := ArgmaxRow(row)
		c := row[p]
		if math.IsNaN(c) || c < 0 || c > 1 {
			return nil, fmt.Errorf("metrics: confidence %v at row %d outside [0, 1]", c, i)
		}
		// Bin edges are b/nBins computed by division, and a confidence on an
		// edge belongs to the lower bin (right-closed intervals).
		b := 0
		for b < nBins-1 && c > float64(b+1)/float64(nBins) {
			b++
		}
		bins[b].Count++
		conf[b] += c
		if p == yTrue[i] {
			correct[b]++
		}
	}
	for b := range bins {
		if m := float64(bins[b].Count); m > 0 {
			bins[b].MeanConfidence = conf[b] / m
			bins[b].Accuracy = correct[b] / m
		}
	}
	return bins, nil
}

// ExpectedCalibrationError is ECE with nBins equal-width bins on the
// confidence (the maximum probability of each row), the definition of
// Guo et al. 2017: ECE = Σ_b |B_b|/n · |accuracy(B_b) − mean confidence(B_b)|,
// where bin b holds confidences in (b/nBins, (b+1)/nBins] and the first bin
// also takes a confidence of exactly 0. The prediction is the argmax (first
// maximum on ties). nBins is usually 10.
func ExpectedCalibrationError(yTrue []int, probs [][]float64, nBins int) (float64, error) {
	bins, err := ReliabilityBins(yTrue, probs, nBins)
	if err != nil {
		return 0, err
	}
	n := float64(len(probs))
	var ece float64
	for _, b := range bins {
		if b.Count == 0 {
			continue
		}
		m := float64(b.Count)
		ece += m / n * math.Abs(b.Accuracy-b.MeanConfidence)
	}
	return ece, nil
}
