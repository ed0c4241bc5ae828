package metrics

import "math"

// ROCCurve returns the points of the ROC curve, like
// sklearn.metrics.roc_curve(positive, scores, drop_intermediate=False):
// one point per distinct score from high to low, preceded by (0, 0) whose
// threshold is +Inf. Both classes must occur (one axis would otherwise
// divide by zero); if not, it is an error.
func ROCCurve(scores []float64, positive []bool) (fpr, tpr, thresholds []float64, err error) {
	c, err := binaryCurve(positive, scores)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := bothClasses(c, "the ROC curve"); err != nil {
		return nil, nil, nil, err
	}
	P, N := float64(c.tps[len(c.tps)-1]), float64(c.fps[len(c.fps)-1])
	fpr, tpr, thresholds = []float64{0}, []float64{0}, []float64{math.Inf(1)}
	for i := range c.tps {
		fpr = append(fpr, float64(c.fps[i])/N)
		tpr = append(tpr, float64(c.tps[i])/P)
		thresholds = append(thresholds, c.thresholds[i])
	}
	return fpr, tpr, thresholds, nil
}

// PRCurve returns the precision-recall curve like
// sklearn.metrics.precision_recall_curve (1.2): one point per distinct
// score, thresholds ascending and recall falling, then a final point
// (recall 0, precision 1) without a threshold, so len(thresholds) is one
// less. It is an error when there are no positives.
func PRCurve(scores []float64, positive []bool) (precision, recall, thresholds []float64, err error) {
	c, err := binaryCurve(positive, scores)
	if err != nil {
		return nil, nil, nil, err
	}
	n := len(c.tps)
	if n == 0 || c.tps[n-1] == 0 {
		return nil, nil, nil, ErrNoPositives
	}
	P := c.tps[n-1]
	for i := n - 1; i >= 0; i-- {
		precision = append(precision, float64(c.tps[i])/float64(c.tps[i]+c.fps[i]))
		recall = append(recall, float64(c.tps[i])/float64(P))
		thresholds = append(thresholds, c.thresholds[i])
	}
	return append(precision, 1), append(recall, 0), thresholds, nil
}
