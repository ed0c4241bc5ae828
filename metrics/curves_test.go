package metrics

import (
	"encoding/json"
	"math"
	"os"
	"testing"
)

// Curves and reliability bins of the fixture's binary case against
// sklearn.metrics.roc_curve(drop_intermediate=False),
// precision_recall_curve and the generator's binning.
func TestCurvesMatchSklearn(t *testing.T) {
	b, err := os.ReadFile("../testdata/metrics/sklearn_fixture.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Cases []struct {
			Name     string      `json:"name"`
			YTrue    []int       `json:"y_true"`
			Scores   []float64   `json:"scores"`
			Probs    [][]float64 `json:"probs"`
			Expected struct {
				ROC  struct{ FPR, TPR, Thresholds []float64 }          `json:"roc_curve"`
				PR   struct{ Precision, Recall, Thresholds []float64 } `json:"pr_curve"`
				Bins []struct {
					Count          int     `json:"count"`
					MeanConfidence float64 `json:"mean_confidence"`
					Accuracy       float64 `json:"accuracy"`
				} `json:"reliability_bins"`
			} `json:"expected"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	c := f.Cases[0]
	if c.Name != "binary_ties" || len(c.Expected.ROC.FPR) == 0 {
		t.Fatalf("case %q has no curves", c.Name)
	}
	pos := make([]bool, len(c.YTrue))
	for i, y := range c.YTrue {
		pos[i] = y == 1
	}
	fpr, tpr, thr, err := ROCCurve(c.Scores, pos)
	if err != nil {
		t.Fatal(err)
	}
	e := c.Expected
	if len(fpr) != len(e.ROC.FPR) || !math.IsInf(thr[0], 1) {
		t.Fatalf("%d ROC points (first threshold %v), sklearn %d", len(fpr), thr[0], len(e.ROC.FPR))
	}
	for i := range fpr {
		near(t, "fpr", fpr[i], e.ROC.FPR[i])
		near(t, "tpr", tpr[i], e.ROC.TPR[i])
		if i > 0 && thr[i] != e.ROC.Thresholds[i-1] {
			t.Errorf("threshold[%d] = %v, sklearn %v", i, thr[i], e.ROC.Thresholds[i-1])
		}
	}
	prec, rec, pthr, err := PRCurve(c.Scores, pos)
	if err != nil {
		t.Fatal(err)
	}
	if len(prec) != len(e.PR.Precision) || len(pthr) != len(e.PR.Thresholds) {
		t.Fatalf("%d PR points / %d thresholds, sklearn %d / %d", len(prec), len(pthr), len(e.PR.Precision), len(e.PR.Thresholds))
	}
	for i := range prec {
		near(t, "precision", prec[i], e.PR.Precision[i])
		near(t, "recall", rec[i], e.PR.Recall[i])
	}
	for i := range pthr {
		if pthr[i] != e.PR.Thresholds[i] {
			t.Errorf("PR threshold[%d] = %v, sklearn %v", i, pthr[i], e.PR.Thresholds[i])
		}
	}
	bins, err := ReliabilityBins(c.YTrue, c.Probs, 10)
	if err != nil {
		t.Fatal(err)
	}
	for i, bin := range bins {
		w := e.Bins[i]
		if bin.Count != w.Count {
			t.Errorf("bin %d count %d, want %d", i, bin.Count, w.Count)
		}
		near(t, "bin confidence", bin.MeanConfidence, w.MeanConfidence)
		near(t, "bin accuracy", bin.Accuracy, w.Accuracy)
	}
	if bins[3].Lo != 0.3 || bins[3].Hi != 0.4 {
		t.Errorf("bin 3 edges %v %v", bins[3].Lo, bins[3].Hi)
	}
}

func TestCurveErrors(t *testing.T) {
	if _, _, _, err := ROCCurve([]float64{0.1, 0.2}, []bool{true, true}); err == nil {
		t.Error("ROC without negatives accepted")
	}
	if _, _, _, err := PRCurve([]float64{0.1, 0.2}, []bool{false, false}); err != ErrNoPositives {
		t.Errorf("PR without positives: %v", err)
	}
	if _, err := ReliabilityBins([]int{0}, [][]float64{{0.5, 0.5}}, 0); err == nil {
		t.Error("0 bins accepted")
	}
}
