package metrics

import (
	"fmt"
	"math"
	"sort"
)

// Average selects how one-vs-rest scores are combined over classes.
type Average int

const (
	// Macro is the unweighted mean over classes.
	Macro Average = iota
	// Weighted weights each class by its number of true examples.
	Weighted
)

// curve is sklearn's _binary_clf_curve: cumulative true/false positives at
// each distinct score, scanning scores from high to low. tps[i], fps[i]
// count examples with score >= thresholds[i].
type curve struct {
	thresholds []float64
	tps, fps   []int64
}

func binaryCurve(pos []bool, scores []float64) (curve, error) {
	if len(pos) != len(scores) {
		return curve{}, fmt.Errorf("metrics: %d labels but %d scores", len(pos), len(scores))
	}
	idx := make([]int, len(scores))
	for i := range idx {
		if math.IsNaN(scores[i]) {
			return curve{}, fmt.Errorf("metrics: score at index %d is NaN", i)
		}
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return scores[idx[a]] > scores[idx[b]] })
	var c curve
	var tp, fp int64
	for k, i := range idx {
		if pos[i] {
			tp++
		} else {
			fp++
		}
		// Emit a point only after the last example sharing this score:
		// tied scores are one threshold, which is how sklearn handles ties.
		if k == len(idx)-1 || scores[idx[k+1]] != scores[i] {
			c.thresholds = append(c.thresholds, scores[i])
			c.tps = append(c.tps, tp)
			c.fps = append(c.fps, fp)
		}
	}
	return c, nil
}

// bothClasses fails unless the labels hold both classes; what names the
// quantity that needs them, for the error.
func bothClasses(c curve, what string) error {
	n := len(c.tps)
	if n == 0 || c.tps[n-1] == 0 || c.fps[n-1] == 0 {
		return fmt.Errorf("metrics: only one class present in the true labels; %s is undefined", what)
	}
	return nil
}

// rocAUC integrates the ROC curve with the trapezoid rule over distinct
// thresholds starting from (0,0). The sum runs in integers, so the result
// is the exact rational area rounded once (ties count one half, as in
// sklearn.metrics.roc_auc_score and the Mann–Whitney U statistic).
func rocAUC(pos []bool, scores []float64) (float64, error) {
	c, err := binaryCurve(pos, scores)
	if err != nil {
		return 0, err
	}
	if err := bothClasses(c, "AUC"); err != nil {
		return 0, err
	}
	var area2, prevTP, prevFP int64 // twice the area, in count units
	for i := range c.tps {
		area2 += (c.fps[i] - prevFP) * (c.tps[i] + prevTP)
		prevTP, prevFP = c.tps[i], c.fps[i]
	}
	P, N := c.tps[len(c.tps)-1], c.fps[len(c.fps)-1]
	return float64(area2) / (2 * float64(P) * float64(N)), nil
}

// averagePrecision is sklearn's average_precision_score:
// AP = Σ_n (R_n − R_{n−1}) P_n over distinct thresholds, high to low —
// a step function, not the trapezoid (which would be optimistic).
func averagePrecision(pos []bool, scores []float64) (float64, error) {
	c, err := binaryCurve(pos, scores)
	if err != nil {
		return 0, err
	}
	if n := len(c.tps); n == 0 || c.tps[n-1] == 0 {
		return 0, fmt.Errorf("metrics: no positive examples; average precision is undefined")
	}
	P := float64(c.tps[len(c.tps)-1])
	var ap float64
	var prevTP int64
	for i := range c.tps {
		prec := float64(c.tps[i]) / float64(c.tps[i]+c.fps[i])
		ap += float64(c.tps[i]-prevTP) / P * prec
		prevTP = c.tps[i]
	}
	return ap, nil
}

func binaryPos(yTrue []int) ([]bool, error) {
	pos := make([]bool, len(yTrue))
	for i, y := range yTrue {
		switch y {
		case 0:
		case 1:
			pos[i] = true
		default:
			return nil, fmt.Errorf("metrics: binary label at index %d is %d, want 0 or 1", i, y)
		}
	}
	return pos, nil
}

// ROCAUC is the area under the ROC curve for binary labels (0/1; 1 is the
// positive class) and scores for the positive class, like
// sklearn.metrics.roc_auc_score. It is an error if only one class occurs.
func ROCAUC(yTrue []int, scores []float64) (float64, error) {
	pos, err := binaryPos(yTrue)
	if err != nil {
		return 0, err
	}
	return rocAUC(pos, scores)
}

// AveragePrecision is PR-AUC as sklearn.metrics.average_precision_score for
// binary labels (0/1) and positive-class scores.
func AveragePrecision(yTrue []int, scores []float64) (float64, error) {
	pos, err := binaryPos(yTrue)
	if err != nil {
		return 0, err
	}
	return averagePrecision(pos, scores)
}

// checkProbs validates an n×K score matrix against n labels in [0,K).
func checkProbs(yTrue []int, probs [][]float64) (int, error) {
	if len(yTrue) != len(probs) {
		return 0, fmt.Errorf("metrics: %d labels but %d probability rows", len(yTrue), len(probs))
	}
	if len(probs) == 0 {
		return 0, fmt.Errorf("metrics: no examples")
	}
	k := len(probs[0])
	if k < 2 {
		return 0, fmt.Errorf("metrics: probability rows need at least 2 columns, got %d", k)
	}
	for i, row := range probs {
		if len(row) != k {
			return 0, fmt.Errorf("metrics: probability row %d has %d columns, want %d", i, len(row), k)
		}
		if yTrue[i] < 0 || yTrue[i] >= k {
			return 0, fmt.Errorf("metrics: label %d at index %d outside 0..%d", yTrue[i], i, k-1)
		}
	}
	return k, nil
}

// ovr applies a binary score one-vs-rest over the K columns of probs and
// averages the results (sklearn multi_class="ovr"). Every class must occur
// in yTrue: sklearn raises in that case too, because a one-vs-rest curve
// without positives is undefined.
func ovr(yTrue []int, probs [][]float64, avg Average, f func([]bool, []float64) (float64, error)) (float64, error) {
	k, err := checkProbs(yTrue, probs)
	if err != nil {
		return 0, err
	}
	pos := make([]bool, len(yTrue))
	col := make([]float64, len(yTrue))
	var sum, wsum float64
	for c := 0; c < k; c++ {
		support := 0
		for i := range yTrue {
			pos[i] = yTrue[i] == c
			col[i] = probs[i][c]
			if pos[i] {
				support++
			}
		}
		if support == 0 {
			return 0, fmt.Errorf("metrics: class %d has no true examples; one-vs-rest score is undefined", c)
		}
		v, err := f(pos, col)
		if err != nil {
			return 0, fmt.Errorf("class %d: %w", c, err)
		}
		w := 1.0
		if avg == Weighted {
			w = float64(support)
		}
		sum += w * v
		wsum += w
	}
	return sum / wsum, nil
}

// ROCAUCOvR is the one-vs-rest multi-class AUC-ROC,
// sklearn.metrics.roc_auc_score(y, probs, multi_class="ovr", average=...).
// Unlike sklearn it does not insist that rows sum to 1.
func ROCAUCOvR(yTrue []int, probs [][]float64, avg Average) (float64, error) {
	return ovr(yTrue, probs, avg, rocAUC)
}

// AveragePrecisionOvR is one-vs-rest average precision, sklearn's
// average_precision_score(label_binarize(y), probs, average=...).
func AveragePrecisionOvR(yTrue []int, probs [][]float64, avg Average) (float64, error) {
	return ovr(yTrue, probs, avg, averagePrecision)
}
