package metrics

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// The example of sklearn's roc_auc_score / average_precision_score docs.
func TestROCAndAPDocExample(t *testing.T) {
	y := []int{0, 0, 1, 1}
	s := []float64{0.1, 0.4, 0.35, 0.8}
	auc, err := ROCAUC(y, s)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "auc", auc, 0.75)
	ap, err := AveragePrecision(y, s)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "ap", ap, 0.8333333333333333)
}

// With every score tied, the ROC curve is one diagonal step: AUC 0.5
// (a per-example ordering would give 0 or 1 depending on sort order).
func TestROCAllTied(t *testing.T) {
	auc, err := ROCAUC([]int{1, 0, 1, 0, 0}, []float64{0.3, 0.3, 0.3, 0.3, 0.3})
	if err != nil {
		t.Fatal(err)
	}
	near(t, "auc", auc, 0.5)
	// Positive tied with one negative at the top: (1 + 0.5) / 2.
	auc, _ = ROCAUC([]int{1, 0, 0}, []float64{0.9, 0.9, 0.1})
	near(t, "auc", auc, 0.75)
}

func TestRankingErrors(t *testing.T) {
	if _, err := ROCAUC([]int{1, 1}, []float64{0.2, 0.3}); err == nil {
		t.Error("single-class AUC accepted")
	}
	if _, err := ROCAUC([]int{0, 2}, []float64{0.2, 0.3}); err == nil {
		t.Error("label 2 accepted as binary")
	}
	if _, err := AveragePrecision([]int{0, 0}, []float64{0.2, 0.3}); err == nil {
		t.Error("AP without positives accepted")
	}
	if _, err := ROCAUCOvR([]int{0, 1, 1}, [][]float64{{.5, .3, .2}, {.1, .8, .1}, {.2, .2, .6}}, Macro); err == nil {
		t.Error("OvR with class 2 absent accepted")
	}
	if _, err := ROCAUC([]int{0, 1}, []float64{0.2}); err == nil {
		t.Error("length mismatch accepted")
	}
}

func TestSensitivitySpecificity(t *testing.T) {
	// rows true, cols predicted. Class 0: tp 5, fn 1, fp 2, tn 3+1+0+4 = 8.
	cm := [][]int{{5, 1, 0}, {2, 3, 1}, {0, 0, 4}}
	sens, spec := SensitivitySpecificity(cm)
	near(t, "sens0", sens[0], 5.0/6)
	near(t, "spec0", spec[0], 8.0/10)
	near(t, "sens2", sens[2], 1)
	near(t, "spec2", spec[2], 11.0/12)
}

func TestConfusionAndPRFErrors(t *testing.T) {
	if _, err := ConfusionMatrix([]int{0, 3}, []int{0, 1}, 3); err == nil {
		t.Error("label 3 accepted for 3 classes")
	}
	if _, err := Accuracy([]int{0}, []int{0, 1}); err == nil {
		t.Error("length mismatch accepted")
	}
	if _, err := PrecisionRecallF1([]int{-1}, []int{0}, nil); err == nil {
		t.Error("negative label accepted")
	}
	r, err := PrecisionRecallF1([]int{0, 0, 1}, []int{0, 0, 0}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Undefined) != 1 || !strings.Contains(r.Undefined[0], "precision of class 1") {
		t.Errorf("undefined notes %q", r.Undefined)
	}
}

func TestECEHand(t *testing.T) {
	// conf 0.9 correct, 0.9 wrong -> bin 9: acc 0.5 conf 0.9 -> 0.4 * 2/4;
	// conf 0.6 correct, 0.6 correct -> bin 5: acc 1 conf 0.6 -> 0.4 * 2/4.
	probs := [][]float64{{0.9, 0.1}, {0.9, 0.1}, {0.4, 0.6}, {0.6, 0.4}}
	y := []int{0, 1, 1, 0}
	e, err := ExpectedCalibrationError(y, probs, 10)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "ece", e, 0.4)
	// A confidence on a bin edge belongs to the lower bin: 0.5 -> bin 4.
	// Lower bin: |1−0.5|/2 + |0−0.9|/2 = 0.7 (upper would give |0.5−0.7| = 0.2).
	e, _ = ExpectedCalibrationError([]int{0, 1}, [][]float64{{0.5, 0.5}, {0.9, 0.1}}, 2)
	near(t, "ece edge", e, 0.7)
}

func TestReportJSONAndText(t *testing.T) {
	labels := []string{"neoplasms", "digestive", "nervous"}
	y := []int{0, 0, 1, 1, 2, 2}
	probs := [][]float64{{.8, .1, .1}, {.4, .5, .1}, {.2, .7, .1}, {.1, .8, .1}, {.1, .1, .8}, {.3, .3, .4}}
	r, err := NewReport(y, nil, probs, labels)
	if err != nil {
		t.Fatal(err)
	}
	b, err := r.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"accuracy", "precision_weighted", "recall_weighted", "f1_weighted",
		"precision_macro", "recall_macro", "f1_macro", "auc_roc", "per_class", "confusion_matrix"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
	// Prediction is argmax: [0,1,1,1,2,2] -> accuracy 5/6.
	near(t, "accuracy", m["accuracy"].(float64), 5.0/6)
	cm := m["confusion_matrix"].([]any)
	if got := cm[0].([]any)[1].(float64); got != 1 {
		t.Errorf("cm[0][1] = %v, want 1", got)
	}
	if pc := m["per_class"].([]any)[2].(map[string]any); pc["label"] != "nervous" || pc["support"].(float64) != 2 {
		t.Errorf("per_class[2] = %v", pc)
	}
	var buf bytes.Buffer
	if err := r.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"neoplasms", "macro avg", "weighted avg", "confusion matrix", "accuracy 0.8333"} {
		if !strings.Contains(out, want) {
			t.Errorf("text lacks %q:\n%s", want, out)
		}
	}
	// Without probabilities AUC is null, not 0.
	r, _ = NewReport(y, []int{0, 0, 1, 1, 2, 2}, nil, labels)
	b, _ = r.JSON()
	if !strings.Contains(string(b), `"auc_roc": null`) {
		t.Errorf("auc_roc not null without probabilities: %s", b)
	}
}

// AUC equals the Mann–Whitney probability P(score+ > score−) + ½P(tie),
// computed naively over all pairs, on random data with many ties.
func TestROCAUCMatchesPairCount(t *testing.T) {
	seed := uint64(1)
	next := func() uint64 { seed = seed*6364136223846793005 + 1442695040888963407; return seed >> 33 }
	for trial := 0; trial < 50; trial++ {
		n := 2 + int(next()%60)
		y := make([]int, n)
		s := make([]float64, n)
		for i := range y {
			y[i] = int(next() % 2)
			s[i] = float64(next()%7) / 6 // 7 distinct values: ties everywhere
		}
		y[0], y[1] = 0, 1
		var num, pairs float64
		for i := range y {
			for j := range y {
				if y[i] == 1 && y[j] == 0 {
					pairs++
					switch {
					case s[i] > s[j]:
						num++
					case s[i] == s[j]:
						num += 0.5
					}
				}
			}
		}
		got, err := ROCAUC(y, s)
		if err != nil {
			t.Fatal(err)
		}
		near(t, fmt.Sprint("trial ", trial), got, num/pairs)
	}
}
