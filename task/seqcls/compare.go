package seqcls

import (
	"fmt"
	"github.com/medbert/medbert/metrics"
	"io"
	"math"
)

// Comparison summarises a model (usually int8) against a reference
// (usually its float32 original) evaluated on the same examples: what
// `medbert eval --compare FP32_DIR` prints.
type Comparison struct {
	Examples       int     `json:"examples"`
	Agree          int     `json:"agree"`           // same argmax label
	Agreement      float64 `json:"label_agreement"` // Agree / Examples
	MaxAbsLogit    float64 `json:"max_abs_logit_diff"`
	MeanAbsLogit   float64 `json:"mean_abs_logit_diff"`
	Accuracy       float64 `json:"accuracy"`
	AccuracyRef    float64 `json:"accuracy_reference"`
	F1Macro        float64 `json:"f1_macro"`
	F1MacroRef     float64 `json:"f1_macro_reference"`
	F1MacroDropPts float64 `json:"f1_macro_drop_points"` // 100·(reference − model)
}

// Compare compares two evaluations of the same examples in the same
// order (r: the model, ref: the reference).
func Compare(r, ref *EvalResult) (*Comparison, error) {
	if len(r.Logits) != len(ref.Logits) {
		return nil, fmt.Errorf("compare: %d vs %d examples", len(r.Logits), len(ref.Logits))
	}
	c := &Comparison{Examples: len(r.Logits)}
	var sum float64
	var n int
	for i, lg := range r.Logits {
		rl := ref.Logits[i]
		if len(lg) != len(rl) {
			return nil, fmt.Errorf("compare: example %d has %d logits vs %d in the reference", i, len(lg), len(rl))
		}
		if metrics.ArgmaxRow(lg) == metrics.ArgmaxRow(rl) {
			c.Agree++
		}
		for j := range lg {
			d := math.Abs(float64(lg[j]) - float64(rl[j]))
			c.MaxAbsLogit = math.Max(c.MaxAbsLogit, d)
			sum += d
			n++
		}
	}
	if c.Examples > 0 {
		c.Agreement = float64(c.Agree) / float64(c.Examples)
	}
	if n > 0 {
		c.MeanAbsLogit = sum / float64(n)
	}
	c.Accuracy, c.AccuracyRef = r.Report.Accuracy, ref.Report.Accuracy
	c.F1Macro, c.F1MacroRef = r.Report.F1Macro, ref.Report.F1Macro
	c.F1MacroDropPts = 100 * (c.F1MacroRef - c.F1Macro)
	return c, nil
}

// WriteText prints the comparison as eval does.
func (c *Comparison) WriteText(w io.Writer) error {
	_, err := fmt.Fprintf(w, "compared with the reference model on %d examples:\n"+
		"  label agreement   %d/%d = %.2f%%\n"+
		"  logit |diff|      max %.4g, mean %.4g\n"+
		"  accuracy          %.4f (reference %.4f)\n"+
		"  f1_macro          %.4f (reference %.4f, drop %.2f points)\n",
		c.Examples, c.Agree, c.Examples, 100*c.Agreement, c.MaxAbsLogit, c.MeanAbsLogit,
		c.Accuracy, c.AccuracyRef, c.F1Macro, c.F1MacroRef, c.F1MacroDropPts)
	return err
}
