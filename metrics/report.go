package metrics

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// ClassReport is one row of a Report: a class's scores in id order.
type ClassReport struct {
	ID          int      `json:"id"`
	Label       string   `json:"label"`
	Precision   float64  `json:"precision"`
	Recall      float64  `json:"recall"` // = sensitivity
	F1          float64  `json:"f1"`
	Specificity float64  `json:"specificity"`
	Support     int      `json:"support"`
	AUCROC      *float64 `json:"auc_roc,omitempty"` // one-vs-rest; nil when undefined
}

// Report gathers the classification metrics of one evaluation. Its JSON
// form has the keys medbert eval --json promises: accuracy,
// precision_weighted, recall_weighted, f1_weighted, precision_macro,
// recall_macro, f1_macro, auc_roc, per_class, confusion_matrix (rows = true
// labels in id order, columns = predicted). Optional values that are
// undefined for the data (AUC with a class missing from the true labels,
// anything needing probabilities when none were given) are JSON null, and
// Notes says why.
type Report struct {
	Labels            []string `json:"labels"`
	Examples          int      `json:"examples"`
	Accuracy          float64  `json:"accuracy"`
	PrecisionWeighted float64  `json:"precision_weighted"`
	RecallWeighted    float64  `json:"recall_weighted"`
	F1Weighted        float64  `json:"f1_weighted"`
	PrecisionMacro    float64  `json:"precision_macro"`
	RecallMacro       float64  `json:"recall_macro"`
	F1Macro           float64  `json:"f1_macro"`
	PrecisionMicro    float64  `json:"precision_micro"`
	RecallMicro       float64  `json:"recall_micro"`
	F1Micro           float64  `json:"f1_micro"`
	// AUCROC is the binary AUC (class 1 positive) for two classes, else the
	// one-vs-rest macro AUC; AUCROCWeighted is the support-weighted OvR AUC.
	AUCROC          *float64      `json:"auc_roc"`
	AUCROCWeighted  *float64      `json:"auc_roc_weighted"`
	PRAUC           *float64      `json:"pr_auc"` // average precision, binary or OvR macro
	ECE             *float64      `json:"ece"`    // 10 equal-width bins on max probability
	PerClass        []ClassReport `json:"per_class"`
	ConfusionMatrix [][]int       `json:"confusion_matrix"`
	Notes           []string      `json:"notes,omitempty"`
}

func ptr(v float64) *float64 { return &v }

// NewReport evaluates predictions yPred against yTrue for the classes
// labels (id2label order). probs may be nil; when given (one row of
// len(labels) class probabilities per example) AUC-ROC, PR-AUC and ECE are
// filled in, and yPred may be nil to mean the argmax of probs.
// Averages follow sklearn's default labels (see the package doc); per-class
// rows cover every class in labels.
func NewReport(yTrue, yPred []int, probs [][]float64, labels []string) (*Report, error) {
	k := len(labels)
	if k < 2 {
		return nil, fmt.Errorf("metrics: need at least 2 class labels, got %d", k)
	}
	if yPred == nil && probs != nil {
		yPred = Argmax(probs)
	}
	cm, err := ConfusionMatrix(yTrue, yPred, k)
	if err != nil {
		return nil, err
	}
	acc, _ := Accuracy(yTrue, yPred)
	avg, err := PrecisionRecallF1(yTrue, yPred, nil)
	if err != nil {
		return nil, err
	}
	all, _ := PrecisionRecallF1(yTrue, yPred, seq(k))
	_, spec := SensitivitySpecificity(cm)
	r := &Report{
		Labels: labels, Examples: len(yTrue), Accuracy: acc,
		PrecisionWeighted: avg.Weighted.Precision, RecallWeighted: avg.Weighted.Recall, F1Weighted: avg.Weighted.F1,
		PrecisionMacro: avg.Macro.Precision, RecallMacro: avg.Macro.Recall, F1Macro: avg.Macro.F1,
		PrecisionMicro: avg.Micro.Precision, RecallMicro: avg.Micro.Recall, F1Micro: avg.Micro.F1,
		ConfusionMatrix: cm,
	}
	for i, s := range all.PerClass {
		r.PerClass = append(r.PerClass, ClassReport{
			ID: i, Label: labels[i], Precision: s.Precision, Recall: s.Recall, F1: s.F1,
			Specificity: spec[i], Support: s.Support,
		})
	}
	for _, u := range avg.Undefined {
		r.Notes = append(r.Notes, u+" (sklearn zero_division=0)")
	}
	if probs == nil {
		r.Notes = append(r.Notes, "no probabilities: AUC-ROC, PR-AUC and ECE not computed")
		return r, nil
	}
	if _, err := checkProbs(yTrue, probs); err != nil {
		return nil, err
	}
	if len(probs[0]) != k {
		return nil, fmt.Errorf("metrics: probability rows have %d columns for %d labels", len(probs[0]), k)
	}
	if e, err := ExpectedCalibrationError(yTrue, probs, 10); err == nil {
		r.ECE = ptr(e)
	} else {
		r.Notes = append(r.Notes, "ECE: "+err.Error())
	}
	pos := make([]bool, len(yTrue))
	col := make([]float64, len(yTrue))
	for c := 0; c < k; c++ {
		for i := range yTrue {
			pos[i], col[i] = yTrue[i] == c, probs[i][c]
		}
		if a, err := rocAUC(pos, col); err == nil {
			r.PerClass[c].AUCROC = ptr(a)
		}
	}
	if k == 2 {
		col := make([]float64, len(probs))
		for i := range probs {
			col[i] = probs[i][1]
		}
		if a, err := ROCAUC(yTrue, col); err == nil {
			r.AUCROC = ptr(a)
		} else {
			r.Notes = append(r.Notes, "AUC-ROC: "+err.Error())
		}
		if a, err := AveragePrecision(yTrue, col); err == nil {
			r.PRAUC = ptr(a)
		}
		return r, nil
	}
	if a, err := ROCAUCOvR(yTrue, probs, Macro); err == nil {
		r.AUCROC = ptr(a)
		w, _ := ROCAUCOvR(yTrue, probs, Weighted)
		r.AUCROCWeighted = ptr(w)
	} else {
		r.Notes = append(r.Notes, "AUC-ROC: "+err.Error())
	}
	if a, err := AveragePrecisionOvR(yTrue, probs, Macro); err == nil {
		r.PRAUC = ptr(a)
	}
	return r, nil
}

func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// JSON returns the report as indented JSON.
func (r *Report) JSON() ([]byte, error) {
	return json.MarshalIndent(r, "", "  ")
}

func fmtOpt(v *float64) string {
	if v == nil {
		return "n/a"
	}
	return fmt.Sprintf("%.4f", *v)
}

// WriteText prints a readable table: per-class precision, recall, F1,
// specificity and support, macro and weighted rows, headline numbers and the
// confusion matrix (rows true, columns predicted, both in id order).
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	width := len("weighted avg")
	for _, l := range r.Labels {
		width = max(width, len([]rune(l)))
	}
	row := func(name string, p, rc, f float64, spec string, support int) {
		fmt.Fprintf(&b, "%*s  %9.4f %9.4f %9.4f %11s %8d\n", width, name, p, rc, f, spec, support)
	}
	fmt.Fprintf(&b, "%*s  %9s %9s %9s %11s %8s\n", width, "", "precision", "recall", "f1", "specificity", "support")
	for _, c := range r.PerClass {
		row(c.Label, c.Precision, c.Recall, c.F1, fmt.Sprintf("%.4f", c.Specificity), c.Support)
	}
	b.WriteString("\n")
	row("macro avg", r.PrecisionMacro, r.RecallMacro, r.F1Macro, "", r.Examples)
	row("weighted avg", r.PrecisionWeighted, r.RecallWeighted, r.F1Weighted, "", r.Examples)
	fmt.Fprintf(&b, "\naccuracy %.4f   AUC-ROC %s   PR-AUC %s   ECE %s   (n=%d)\n",
		r.Accuracy, fmtOpt(r.AUCROC), fmtOpt(r.PRAUC), fmtOpt(r.ECE), r.Examples)

	// Confusion matrix: label the axes with class ids, and print a legend,
	// so long label names do not blow up the column width.
	b.WriteString("\nconfusion matrix (rows = true, columns = predicted)\n")
	cw := 5
	for _, rowv := range r.ConfusionMatrix {
		for _, v := range rowv {
			cw = max(cw, len(fmt.Sprint(v))+1)
		}
	}
	fmt.Fprintf(&b, "%6s", "")
	for j := range r.Labels {
		fmt.Fprintf(&b, "%*s", cw, fmt.Sprintf("[%d]", j))
	}
	b.WriteString("\n")
	for i, rowv := range r.ConfusionMatrix {
		fmt.Fprintf(&b, "%6s", fmt.Sprintf("[%d]", i))
		for _, v := range rowv {
			fmt.Fprintf(&b, "%*d", cw, v)
		}
		fmt.Fprintf(&b, "   %s\n", r.Labels[i])
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
