package metrics

import (
	"encoding/json"
	"math"
	"os"
	"testing"
)

// fixture mirrors testdata/metrics/sklearn_fixture.json, written by
// testdata/metrics/gen_fixture.py with scikit-learn 1.2.1.
type fixture struct {
	Sklearn string        `json:"sklearn"`
	Cases   []fixtureCase `json:"cases"`
}

type prfBlock struct {
	Precision, Recall, F1 float64
}

type fixtureCase struct {
	Name     string      `json:"name"`
	YTrue    []int       `json:"y_true"`
	YPred    []int       `json:"y_pred"`
	Scores   []float64   `json:"scores"`
	Probs    [][]float64 `json:"probs"`
	Labels   []int       `json:"labels"`
	NClasses int         `json:"n_classes"`
	Expected struct {
		Accuracy        *float64 `json:"accuracy"`
		ConfusionMatrix [][]int  `json:"confusion_matrix"`
		ROCAUC          *float64 `json:"roc_auc"`
		AP              *float64 `json:"average_precision"`
		ROCAUCMacro     *float64 `json:"roc_auc_ovr_macro"`
		ROCAUCWeighted  *float64 `json:"roc_auc_ovr_weighted"`
		APMacro         *float64 `json:"average_precision_macro"`
		APWeighted      *float64 `json:"average_precision_weighted"`
		ECE             *float64 `json:"ece"`
		PerClass        struct {
			Precision, Recall, F1 []float64
			Support               []int
		} `json:"per_class"`
		Macro, Micro, Weighted prfBlock
	} `json:"expected"`
}

const tol = 1e-9

func near(t *testing.T, what string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > tol || math.IsNaN(got) {
		t.Errorf("%s = %.17g, sklearn %.17g (diff %.3g)", what, got, want, got-want)
	}
}

func loadFixture(t *testing.T) fixture {
	t.Helper()
	b, err := os.ReadFile("../testdata/metrics/sklearn_fixture.json")
	if err != nil {
		t.Fatal(err)
	}
	var f fixture
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Cases) < 4 {
		t.Fatalf("fixture has %d cases", len(f.Cases))
	}
	return f
}

func TestSklearnFixture(t *testing.T) {
	f := loadFixture(t)
	for _, c := range f.Cases {
		t.Run(c.Name, func(t *testing.T) {
			e := c.Expected
			if e.Accuracy != nil {
				got, err := Accuracy(c.YTrue, c.YPred)
				if err != nil {
					t.Fatal(err)
				}
				near(t, "accuracy", got, *e.Accuracy)
			}
			if e.ConfusionMatrix != nil {
				cm, err := ConfusionMatrix(c.YTrue, c.YPred, c.NClasses)
				if err != nil {
					t.Fatal(err)
				}
				for i := range e.ConfusionMatrix {
					for j := range e.ConfusionMatrix[i] {
						if cm[i][j] != e.ConfusionMatrix[i][j] {
							t.Errorf("cm[%d][%d] = %d, sklearn %d", i, j, cm[i][j], e.ConfusionMatrix[i][j])
						}
					}
				}
			}
			prf, err := PrecisionRecallF1(c.YTrue, c.YPred, c.Labels)
			if err != nil {
				t.Fatal(err)
			}
			if len(prf.PerClass) != len(e.PerClass.Precision) {
				t.Fatalf("%d classes, sklearn %d", len(prf.PerClass), len(e.PerClass.Precision))
			}
			for i, s := range prf.PerClass {
				near(t, "precision", s.Precision, e.PerClass.Precision[i])
				near(t, "recall", s.Recall, e.PerClass.Recall[i])
				near(t, "f1", s.F1, e.PerClass.F1[i])
				if s.Support != e.PerClass.Support[i] {
					t.Errorf("support[%d] = %d, sklearn %d", i, s.Support, e.PerClass.Support[i])
				}
			}
			for _, a := range []struct {
				name string
				got  Scores
				want prfBlock
			}{{"macro", prf.Macro, e.Macro}, {"micro", prf.Micro, e.Micro}, {"weighted", prf.Weighted, e.Weighted}} {
				near(t, a.name+" precision", a.got.Precision, a.want.Precision)
				near(t, a.name+" recall", a.got.Recall, a.want.Recall)
				near(t, a.name+" f1", a.got.F1, a.want.F1)
			}
			check := func(name string, want *float64, f func() (float64, error)) {
				if want == nil {
					return
				}
				got, err := f()
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				near(t, name, got, *want)
			}
			check("roc_auc", e.ROCAUC, func() (float64, error) { return ROCAUC(c.YTrue, c.Scores) })
			check("average_precision", e.AP, func() (float64, error) { return AveragePrecision(c.YTrue, c.Scores) })
			check("roc_auc ovr macro", e.ROCAUCMacro, func() (float64, error) { return ROCAUCOvR(c.YTrue, c.Probs, Macro) })
			check("roc_auc ovr weighted", e.ROCAUCWeighted, func() (float64, error) { return ROCAUCOvR(c.YTrue, c.Probs, Weighted) })
			check("AP ovr macro", e.APMacro, func() (float64, error) { return AveragePrecisionOvR(c.YTrue, c.Probs, Macro) })
			check("AP ovr weighted", e.APWeighted, func() (float64, error) { return AveragePrecisionOvR(c.YTrue, c.Probs, Weighted) })
			check("ece", e.ECE, func() (float64, error) { return ExpectedCalibrationError(c.YTrue, c.Probs, 10) })
		})
	}
}

// TestReportMatchesFixture checks that the Report (what `medbert eval`
// prints) carries the same sklearn numbers as the individual functions.
func TestReportMatchesFixture(t *testing.T) {
	f := loadFixture(t)
	for _, c := range f.Cases[:2] {
		labels := make([]string, c.NClasses)
		for i := range labels {
			labels[i] = string(rune('a' + i))
		}
		r, err := NewReport(c.YTrue, c.YPred, c.Probs, labels)
		if err != nil {
			t.Fatal(err)
		}
		e := c.Expected
		near(t, c.Name+" accuracy", r.Accuracy, *e.Accuracy)
		near(t, c.Name+" f1_weighted", r.F1Weighted, e.Weighted.F1)
		near(t, c.Name+" precision_weighted", r.PrecisionWeighted, e.Weighted.Precision)
		near(t, c.Name+" recall_macro", r.RecallMacro, e.Macro.Recall)
		near(t, c.Name+" f1_macro", r.F1Macro, e.Macro.F1)
		wantAUC := e.ROCAUC
		if wantAUC == nil {
			wantAUC = e.ROCAUCMacro
			near(t, c.Name+" auc weighted", *r.AUCROCWeighted, *e.ROCAUCWeighted)
			near(t, c.Name+" pr_auc", *r.PRAUC, *e.APMacro)
		} else {
			near(t, c.Name+" pr_auc", *r.PRAUC, *e.AP)
		}
		near(t, c.Name+" auc_roc", *r.AUCROC, *wantAUC)
		near(t, c.Name+" ece", *r.ECE, *e.ECE)
	}
}
