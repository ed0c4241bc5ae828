package metrics

import (
	"errors"
	"fmt"
)

// ErrNoPositives is returned by ThresholdForRecall and PRCurve when no
// example is positive: recall is undefined.
var ErrNoPositives = errors.New("metrics: no positive examples; recall is undefined")

// OperatingPoint is a binary decision threshold and what it achieves on the
// data it was chosen on: predict positive when score >= Threshold.
type OperatingPoint struct {
	Threshold float64 `json:"threshold"`
	Recall    float64 `json:"recall"`    // TP / (TP + FN), at least the target
	Precision float64 `json:"precision"` // TP / (TP + FP); defined, since TP >= 1
	// Specificity is TN / (TN + FP); nil (JSON null) when the data has no
	// negative examples.
	Specificity *float64 `json:"specificity"`
	TP          int      `json:"tp"`
	FP          int      `json:"fp"`
	FN          int      `json:"fn"`
	TN          int      `json:"tn"`
}

// ThresholdForRecall returns the highest threshold whose recall
// (sensitivity) is at least target, for tasks where missing a condition is
// costly. positive[i] says whether example i is positive; scores[i] is its
// score for the positive class (e.g. P(positive)).
//
// Semantics, in full:
//   - The threshold is always one of the observed scores of a positive
//     example: the score of the ceil(target·P)-th highest-scoring positive,
//     where P is the number of positives. Applying it with >= on the same
//     data reproduces the reported counts.
//   - Ties: every example whose score equals the threshold is predicted
//     positive (a threshold cannot split a tie), so Recall may exceed
//     target, and tied negatives count as false positives.
//   - Recall is compared as float64(TP)/float64(P) >= target, which is
//     exact for targets written as decimals (0.8 with 10 positives needs 8).
//   - No positives (including empty input): ErrNoPositives.
//   - No negatives (one-class data): the threshold is still defined;
//     Precision is 1 and Specificity is nil.
//   - target must lie in (0, 1]; scores must not be NaN; lengths must match.
func ThresholdForRecall(scores []float64, positive []bool, target float64) (OperatingPoint, error) {
	if !(target > 0 && target <= 1) {
		return OperatingPoint{}, fmt.Errorf("metrics: target recall %v outside (0, 1]", target)
	}
	if len(scores) != len(positive) {
		return OperatingPoint{}, fmt.Errorf("metrics: %d scores but %d labels", len(scores), len(positive))
	}
	c, err := binaryCurve(positive, scores)
	if err != nil {
		return OperatingPoint{}, err
	}
	n := len(c.tps)
	if n == 0 || c.tps[n-1] == 0 {
		return OperatingPoint{}, ErrNoPositives
	}
	P, N := c.tps[n-1], c.fps[n-1]
	for i := range c.tps {
		r := float64(c.tps[i]) / float64(P)
		if r < target {
			continue
		}
		op := OperatingPoint{
			Threshold: c.thresholds[i],
			Recall:    r,
			Precision: float64(c.tps[i]) / float64(c.tps[i]+c.fps[i]),
			TP:        int(c.tps[i]),
			FP:        int(c.fps[i]),
			FN:        int(P - c.tps[i]),
			TN:        int(N - c.fps[i]),
		}
		if N > 0 {
			op.Specificity = ptr(float64(op.TN) / float64(N))
		}
		return op, nil
	}
	// Recall is 1 at the lowest threshold, and target <= 1.
	return OperatingPoint{}, fmt.Errorf("metrics: internal error: recall never reached %v", target)
}
