package qa

import "github.com/medbert/medbert/metrics"

// scoreAnswer is SQuAD's exact match and token F1 of pred (the official
// evaluate-v2.0.py, as metrics implements it), the best over the gold
// answers; a question without gold answers is unanswerable, and only ""
// answers it.
func scoreAnswer(golds []Answer, pred string) (em, f1 float64) {
	g := make([]string, len(golds))
	for i, a := range golds {
		g[i] = a.Text
	}
	em, f1, _ = metrics.QuestionScores(metrics.QAPrediction{Gold: g, Pred: pred}, metrics.SQuADv2)
	return em, f1
}
