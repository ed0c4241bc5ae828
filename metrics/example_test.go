package metrics_test

import (
	"fmt"
	"os"

	"github.com/medbert/medbert/metrics"
)

// The highest threshold on P(positive) that still finds 80% of the
// positives, and what it costs in precision and specificity.
func ExampleThresholdForRecall() {
	scores := []float64{0.95, 0.9, 0.8, 0.7, 0.6, 0.4, 0.3, 0.2, 0.1}
	positive := []bool{true, true, false, true, true, false, true, false, false}
	op, err := metrics.ThresholdForRecall(scores, positive, 0.8)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("threshold %.2f recall %.2f precision %.2f specificity %.2f\n", op.Threshold, op.Recall, op.Precision, *op.Specificity)
	// Output: threshold 0.60 recall 0.80 precision 0.80 specificity 0.75
}

// Entity F1 in seqeval's default mode and in strict IOB2 mode: the
// predicted entity that starts with I- counts only in default mode.
func ExampleEntityScoresWith() {
	yTrue := [][]string{{"B-Disease", "I-Disease", "O", "B-Chemical"}}
	yPred := [][]string{{"I-Disease", "I-Disease", "O", "B-Chemical"}}
	def, _ := metrics.EntityScores(yTrue, yPred)
	strict, _ := metrics.EntityScoresWith(yTrue, yPred, metrics.EntityOptions{Strict: true, Scheme: metrics.IOB2})
	fmt.Printf("default F1 %.3f, strict F1 %.3f, token accuracy %.2f\n", def.Micro.F1, strict.Micro.F1, strict.TokenAccuracy)
	// Output: default F1 1.000, strict F1 0.667, token accuracy 0.75
}

// SQuAD v2.0 scoring with one unanswerable question.
func ExampleSQuAD() {
	r, _ := metrics.SQuAD([]metrics.QAPrediction{
		{Gold: []string{"pneumonia"}, Pred: "signs of pneumonia"},
		{Gold: nil, Pred: ""}, // unanswerable, and the model abstained
	}, metrics.SQuADv2)
	fmt.Printf("EM %.3f F1 %.3f; HasAns F1 %.3f over %d; NoAns EM %.0f over %d\n",
		r.ExactMatch, r.F1, r.HasAns.F1, r.HasAns.Total, r.NoAns.ExactMatch, r.NoAns.Total)
	// Output: EM 0.500 F1 0.750; HasAns F1 0.500 over 1; NoAns EM 1 over 1
}

// A 95% bootstrap interval for accuracy, reproducible from its seed.
func ExampleBootstrap() {
	yTrue := []int{1, 0, 1, 1, 0, 1, 0, 0, 1, 1, 0, 1, 1, 0, 1, 0, 1, 1, 0, 1}
	yPred := []int{1, 0, 1, 0, 0, 1, 0, 1, 1, 1, 0, 1, 0, 0, 1, 0, 1, 1, 1, 1}
	acc := func(idx []int) float64 {
		ok := 0
		for _, i := range idx {
			if yTrue[i] == yPred[i] {
				ok++
			}
		}
		return float64(ok) / float64(len(idx))
	}
	iv, _ := metrics.Bootstrap(len(yTrue), acc, 2000, 0.05, 42)
	again, _ := metrics.Bootstrap(len(yTrue), acc, 2000, 0.05, 42)
	fmt.Printf("accuracy %.2f, interval contains it: %v, same again: %v\n", iv.Estimate, iv.Lo <= iv.Estimate && iv.Estimate <= iv.Hi, iv == again)
	// Output: accuracy 0.80, interval contains it: true, same again: true
}

// A subgroup audit printed as a table.
func ExampleAuditSubgroups() {
	y := []int{1, 1, 0, 0, 1, 1, 0, 0, 1}
	p := []int{1, 0, 0, 0, 1, 1, 1, 1, 0}
	site := []string{"a", "a", "a", "a", "b", "b", "b", "b", "c"}
	audit, err := metrics.AuditSubgroups(y, p, nil, []string{"no", "yes"},
		[]metrics.GroupField{{Name: "site", Values: site}}, metrics.AuditOptions{MinGroupSize: 4})
	if err != nil {
		fmt.Println(err)
		return
	}
	f := audit.Fields[0]
	fmt.Printf("equalized odds gap %.2f\n", *f.EqualizedOddsGap)
	audit.WriteText(os.Stdout)
	// Output:
	// equalized odds gap 1.00
	// subgroups by site (groups under 4 examples are too small to judge)
	// group       n accuracy f1_macro rec_macro  auc_roc      ece      tpr      fpr
	// a           4   0.7500   0.7333   0.7500      n/a      n/a   0.5000   0.0000
	// b           4   0.5000   0.3333   0.5000      n/a      n/a   1.0000   1.0000
	// c           1   0.0000   0.0000   0.0000      n/a      n/a   0.0000      n/a  too small
	// all         9   0.5556   0.5500   0.5500      n/a      n/a   0.6000   0.5000
	// gap accuracy           0.2500  (b 0.5000 .. a 0.7500, 2 groups)
	// gap precision_macro    0.5833  (b 0.2500 .. a 0.8333, 2 groups)
	// gap recall_macro       0.2500  (b 0.5000 .. a 0.7500, 2 groups)
	// gap f1_macro           0.4000  (b 0.3333 .. a 0.7333, 2 groups)
	// gap precision_weighted 0.5833  (b 0.2500 .. a 0.8333, 2 groups)
	// gap recall_weighted    0.2500  (b 0.5000 .. a 0.7500, 2 groups)
	// gap f1_weighted        0.4000  (b 0.3333 .. a 0.7333, 2 groups)
	// gap tpr                0.5000  (a 0.5000 .. b 1.0000, 2 groups)
	// gap fpr                1.0000  (a 0.0000 .. b 1.0000, 2 groups)
	// equalized odds gap     1.0000  (max of the TPR and FPR gaps)
	// note: group "c" (n=1) is under the minimum of 4 examples: too small to judge, left out of the gaps
}
