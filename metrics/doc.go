// Package metrics computes the evaluation numbers clinicians and ML
// reviewers ask for — accuracy, precision/recall/F1 (per class, macro,
// micro, weighted), sensitivity/specificity, AUC-ROC, PR-AUC (average
// precision), confusion matrix, expected calibration error, entity-level
// P/R/F1 for IOB1/IOB2/IOE/IOBES tags in seqeval's default and strict modes,
// SQuAD exact match and token F1, per-subgroup audits and bootstrap
// confidence intervals — with scikit-learn / seqeval / SQuAD semantics, so a
// number printed by medbert means what the same name means in Python.
//
// It takes plain Go values only: class ids as []int (0..K-1, the id order of
// the model's id2label), probabilities as [][]float64 (one row per example,
// one column per class), tags as [][]string. It imports nothing from the
// engine.
//
// # Zero division
//
// When a ratio is undefined (precision of a class that is never predicted,
// recall of a class with no true examples, specificity when every example
// belongs to the class) the value is 0, which is scikit-learn's default
// (zero_division="warn" returns 0 after warning). Instead of warning, the
// affected classes are listed in the result's Undefined field so callers can
// show a note.
//
// # Labels considered by the averages
//
// As in sklearn.metrics.precision_recall_fscore_support with labels=None,
// macro/micro/weighted averages run over the sorted union of the labels that
// occur in yTrue or yPred; pass labels explicitly to change that. A class
// absent from both sides therefore does not drag the macro average down.
//
// # References
//
// Classification metrics, curves, reliability bins and the per-group
// numbers of AuditSubgroups are checked against scikit-learn 1.2.1 to 1e-9
// (fixture_test.go, curves_test.go, subgroup_test.go) with
// testdata/metrics/sklearn_fixture.json, written once by gen_fixture.py;
// tests never run Python. Entity extraction follows seqeval 1.2 (default
// mode: get_entities; strict mode: seqeval.scheme) and is checked on the
// cases of seqeval's own tests; SQuAD scores follow the official
// evaluate-v1.1.py and evaluate-v2.0.py scripts.
//
// # Which function for which question
//
//   - classification: NewReport (everything), or Accuracy,
//     PrecisionRecallF1, ConfusionMatrix, ROCAUC, AveragePrecision,
//     ExpectedCalibrationError one by one;
//   - a decision threshold that keeps sensitivity: ThresholdForRecall;
//   - plots: ROCCurve, PRCurve, ReliabilityBins (drawn by package plot);
//   - fairness: AuditSubgroups;
//   - uncertainty: Bootstrap, BootstrapMany, ReportIntervals;
//   - NER: EntityScores, EntityScoresWith (strict mode, schemes);
//   - extractive QA: SQuAD, QuestionScores, BestNoAnswerThreshold.
package metrics
