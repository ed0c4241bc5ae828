package plot_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/medbert/medbert/metrics"
	"github.com/medbert/medbert/plot"
)

// A confusion matrix from predictions, written as a file for a model card.
func ExampleConfusionMatrix() {
	yTrue := []int{0, 0, 0, 1, 1, 2, 2, 2}
	yPred := []int{0, 0, 1, 1, 1, 2, 0, 2}
	cm, _ := metrics.ConfusionMatrix(yTrue, yPred, 3)
	svg, err := plot.ConfusionMatrix{
		Title:  "Test split",
		Labels: []string{"neoplasms", "digestive", "nervous"},
		Counts: cm,
	}.SVG()
	if err != nil {
		fmt.Println(err)
		return
	}
	dir, _ := os.MkdirTemp("", "card")
	defer os.RemoveAll(dir)
	if err := os.WriteFile(filepath.Join(dir, "confusion_matrix.svg"), svg, 0o644); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(strings.Count(string(svg), `class="cell"`), "cells")
	// Output: 9 cells
}

// ROC and PR curves of a binary classifier, with AUC and average
// precision in the legends.
func ExampleROC() {
	positive := []bool{false, false, true, true}
	scores := []float64{0.1, 0.4, 0.35, 0.8}
	y := []int{0, 0, 1, 1}
	fpr, tpr, _, _ := metrics.ROCCurve(scores, positive)
	auc, _ := metrics.ROCAUC(y, scores)
	roc, _ := plot.ROC{Title: "ROC", Curves: []plot.Curve{{Name: "medbert", X: fpr, Y: tpr, Area: auc}}}.SVG()

	prec, rec, _, _ := metrics.PRCurve(scores, positive)
	ap, _ := metrics.AveragePrecision(y, scores)
	pr, _ := plot.PR{Title: "PR", Prevalence: 0.5, Curves: []plot.Curve{{Name: "medbert", X: rec, Y: prec, Area: ap}}}.SVG()

	legend := regexp.MustCompile(`medbert \((AUC|AP) [0-9.]+\)`)
	fmt.Println(legend.FindString(string(roc)))
	fmt.Println(legend.FindString(string(pr)))
	// Output:
	// medbert (AUC 0.750)
	// medbert (AP 0.833)
}

// A reliability diagram from class probabilities.
func ExampleReliability() {
	y := []int{0, 1, 1, 0, 1}
	probs := [][]float64{{0.9, 0.1}, {0.2, 0.8}, {0.6, 0.4}, {0.7, 0.3}, {0.35, 0.65}}
	bins, _ := metrics.ReliabilityBins(y, probs, 10)
	ece, _ := metrics.ExpectedCalibrationError(y, probs, 10)
	var pb []plot.Bin
	for _, b := range bins {
		pb = append(pb, plot.Bin{Lo: b.Lo, Hi: b.Hi, Confidence: b.MeanConfidence, Accuracy: b.Accuracy, Count: b.Count})
	}
	svg, _ := plot.Reliability{Title: "Calibration", Bins: pb, ECE: &ece}.SVG()
	fmt.Println(strings.Count(string(svg), `class="bin"`), "non-empty bins")
	// Output: 4 non-empty bins
}

// Recall per subgroup from a subgroup audit, small groups faded.
func ExampleBars() {
	y := []int{1, 1, 0, 0, 1, 1, 0, 0, 1}
	p := []int{1, 0, 0, 0, 1, 1, 1, 1, 0}
	sex := []string{"F", "F", "F", "F", "M", "M", "M", "M", "X"}
	audit, _ := metrics.AuditSubgroups(y, p, nil, []string{"no", "yes"},
		[]metrics.GroupField{{Name: "sex", Values: sex}}, metrics.AuditOptions{MinGroupSize: 4})
	var cats []string
	var recall []float64
	var muted []bool
	for _, g := range audit.Fields[0].Groups {
		cats = append(cats, fmt.Sprintf("%s (n=%d)", g.Value, g.Count))
		recall = append(recall, g.Metrics.PerClass[1].Recall)
		muted = append(muted, g.TooSmall)
	}
	svg, _ := plot.Bars{Title: "Recall by sex", Categories: cats, Muted: muted,
		Series: []plot.Series{{Name: "recall", Values: recall}}, ValueLabel: "recall"}.SVG()
	fmt.Println(strings.Count(string(svg), `class="bar"`), "bars;", strings.Count(string(svg), "(too small)"), "group too small")
	// Output: 3 bars; 1 group too small
}

// A training-loss curve with evaluation points.
func ExampleLines() {
	steps := []float64{50, 100, 150, 200}
	loss := []float64{1.9, 1.2, 0.8, 0.7}
	svg, _ := plot.Lines{Title: "Training", XLabel: "step", YLabel: "loss", Series: []plot.Line{
		{Name: "train loss", X: steps, Y: loss},
		{Name: "eval loss", X: []float64{100, 200}, Y: []float64{1.3, 0.9}, Markers: true},
	}}.SVG()
	fmt.Println(strings.Count(string(svg), `class="marker"`), "eval points")
	// Output: 2 eval points
}
