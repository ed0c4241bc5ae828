package metrics

import (
	"fmt"
	"sort"
)

// Scores holds precision, recall and F1 of one class or one average.
type Scores struct {
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
}

// ClassScores is Scores plus the number of true examples of the class.
type ClassScores struct {
	Scores
	Support int `json:"support"`
}

// PRF is the result of PrecisionRecallF1.
type PRF struct {
	Labels    []int         // the classes averaged over, ascending
	PerClass  []ClassScores // PerClass[i] belongs to Labels[i]
	Macro     Scores        // unweighted mean over Labels
	Micro     Scores        // from summed tp/fp/fn over Labels
	Weighted  Scores        // mean weighted by support
	Undefined []string      // notes on ratios set to 0 (zero division)
}

// checkPair validates two parallel label slices.
func checkPair(yTrue, yPred []int) error {
	if len(yTrue) != len(yPred) {
		return fmt.Errorf("metrics: %d true labels but %d predictions", len(yTrue), len(yPred))
	}
	for i := range yTrue {
		if yTrue[i] < 0 || yPred[i] < 0 {
			return fmt.Errorf("metrics: negative label at index %d", i)
		}
	}
	return nil
}

// Accuracy is the fraction of positions where yPred equals yTrue
// (sklearn accuracy_score). It is 0 for empty input.
func Accuracy(yTrue, yPred []int) (float64, error) {
	if err := checkPair(yTrue, yPred); err != nil {
		return 0, err
	}
	if len(yTrue) == 0 {
		return 0, nil
	}
	ok := 0
	for i := range yTrue {
		if yTrue[i] == yPred[i] {
			ok++
		}
	}
	return float64(ok) / float64(len(yTrue)), nil
}

// ConfusionMatrix returns the nClasses×nClasses count matrix C where
// C[t][p] counts examples of true class t predicted as p: rows are true
// labels in id order, columns predicted labels (sklearn confusion_matrix
// with labels=range(nClasses)). Labels outside [0, nClasses) are an error.
func ConfusionMatrix(yTrue, yPred []int, nClasses int) ([][]int, error) {
	if err := checkPair(yTrue, yPred); err != nil {
		return nil, err
	}
	cm := make([][]int, nClasses)
	for i := range cm {
		cm[i] = make([]int, nClasses)
	}
	for i := range yTrue {
		t, p := yTrue[i], yPred[i]
		if t >= nClasses || p >= nClasses {
			return nil, fmt.Errorf("metrics: label at index %d (true %d, predicted %d) outside 0..%d", i, t, p, nClasses-1)
		}
		cm[t][p]++
	}
	return cm, nil
}

// presentLabels is sklearn's unique_labels(yTrue, yPred): the sorted union.
func presentLabels(yTrue, yPred []int) []int {
	seen := map[int]bool{}
	for _, v := range yTrue {
		seen[v] = true
	}
	for _, v := range yPred {
		seen[v] = true
	}
	out := make([]int, 0, len(seen))
	for v := range seen {
		out = append(out, v)
	}
	sort.Ints(out)
	return out
}

// div returns a/b, or 0 and false when b is 0 (sklearn zero_division=0).
func div(a, b float64) (float64, bool) {
	if b == 0 {
		return 0, false
	}
	return a / b, true
}

// f1 is the harmonic mean 2PR/(P+R), 0 when P+R is 0 — the formula
// sklearn 1.2 and seqeval use (equal to 2tp/(2tp+fp+fn) up to rounding).
func f1(p, r float64) float64 {
	if p+r == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}

// counts holds per-label true positives, predicted and true totals.
type counts struct{ tp, pred, actual []int }

// prfFromCounts turns per-label counts into a PRF; names label the notes.
func prfFromCounts(c counts, labels []int, name func(i int) string) PRF {
	out := PRF{Labels: labels, PerClass: make([]ClassScores, len(labels))}
	var tpSum, predSum, trueSum int
	for i := range labels {
		p, okP := div(float64(c.tp[i]), float64(c.pred[i]))
		r, okR := div(float64(c.tp[i]), float64(c.actual[i]))
		if !okP {
			out.Undefined = append(out.Undefined, fmt.Sprintf("precision of %s set to 0 (never predicted)", name(i)))
		}
		if !okR {
			out.Undefined = append(out.Undefined, fmt.Sprintf("recall of %s set to 0 (no true examples)", name(i)))
		}
		out.PerClass[i] = ClassScores{Scores{p, r, f1(p, r)}, c.actual[i]}
		tpSum += c.tp[i]
		predSum += c.pred[i]
		trueSum += c.actual[i]
	}
	if n := len(labels); n > 0 {
		for _, s := range out.PerClass {
			out.Macro.Precision += s.Precision
			out.Macro.Recall += s.Recall
			out.Macro.F1 += s.F1
			w := float64(s.Support)
			out.Weighted.Precision += w * s.Precision
			out.Weighted.Recall += w * s.Recall
			out.Weighted.F1 += w * s.F1
		}
		out.Macro.Precision /= float64(n)
		out.Macro.Recall /= float64(n)
		out.Macro.F1 /= float64(n)
		if trueSum > 0 {
			out.Weighted.Precision /= float64(trueSum)
			out.Weighted.Recall /= float64(trueSum)
			out.Weighted.F1 /= float64(trueSum)
		} else {
			out.Weighted = Scores{}
		}
	}
	mp, _ := div(float64(tpSum), float64(predSum))
	mr, _ := div(float64(tpSum), float64(trueSum))
	out.Micro = Scores{mp, mr, f1(mp, mr)}
	return out
}

// PrecisionRecallF1 computes per-class and averaged precision, recall and
// F1 like sklearn.metrics.precision_recall_fscore_support with
// zero_division=0. labels selects and orders the classes; nil means the
// sorted union of labels present in yTrue and yPred (sklearn's default).
func PrecisionRecallF1(yTrue, yPred []int, labels []int) (PRF, error) {
	if err := checkPair(yTrue, yPred); err != nil {
		return PRF{}, err
	}
	if labels == nil {
		labels = presentLabels(yTrue, yPred)
	}
	pos := make(map[int]int, len(labels))
	for i, l := range labels {
		if _, dup := pos[l]; dup {
			return PRF{}, fmt.Errorf("metrics: label %d listed twice", l)
		}
		pos[l] = i
	}
	c := counts{make([]int, len(labels)), make([]int, len(labels)), make([]int, len(labels))}
	for i := range yTrue {
		t, tok := pos[yTrue[i]]
		p, pok := pos[yPred[i]]
		if tok {
			c.actual[t]++
		}
		if pok {
			c.pred[p]++
		}
		if tok && pok && t == p {
			c.tp[t]++
		}
	}
	return prfFromCounts(c, labels, func(i int) string { return fmt.Sprintf("class %d", labels[i]) }), nil
}

// SensitivitySpecificity returns, for each class k of a confusion matrix
// (rows true, columns predicted), sensitivity TP/(TP+FN) (= recall) and
// specificity TN/(TN+FP), treating k as positive and all other classes as
// negative. Undefined ratios are 0 (see the package doc).
func SensitivitySpecificity(cm [][]int) (sens, spec []float64) {
	k := len(cm)
	total := 0
	rowSum := make([]int, k)
	colSum := make([]int, k)
	for t := range cm {
		for p, v := range cm[t] {
			rowSum[t] += v
			colSum[p] += v
			total += v
		}
	}
	sens = make([]float64, k)
	spec = make([]float64, k)
	for c := 0; c < k; c++ {
		tp := cm[c][c]
		fn := rowSum[c] - tp
		fp := colSum[c] - tp
		tn := total - tp - fn - fp
		sens[c], _ = div(float64(tp), float64(tp+fn))
		spec[c], _ = div(float64(tn), float64(tn+fp))
	}
	return sens, spec
}
