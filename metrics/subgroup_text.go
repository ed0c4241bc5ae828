package metrics

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// JSON returns the audit as indented JSON.
func (a *SubgroupAudit) JSON() ([]byte, error) {
	return json.MarshalIndent(a, "", "  ")
}

// WriteText prints one table per group field: a row per group with its
// size, accuracy, macro F1 and recall, AUC, ECE and, for binary tasks, TPR
// and FPR; groups too small to judge are marked; then the largest gap per
// metric and the equalised-odds gap.
func (a *SubgroupAudit) WriteText(w io.Writer) error {
	var b strings.Builder
	for _, f := range a.Fields {
		width := max(len("group"), len("all"))
		for _, g := range f.Groups {
			width = max(width, len([]rune(g.Value)))
		}
		fmt.Fprintf(&b, "subgroups by %s (groups under %d examples are too small to judge)\n", f.Field, a.MinGroupSize)
		fmt.Fprintf(&b, "%-*s  %6s %8s %8s %8s %8s %8s", width, "group", "n", "accuracy", "f1_macro", "rec_macro", "auc_roc", "ece")
		if a.Binary {
			fmt.Fprintf(&b, " %8s %8s", "tpr", "fpr")
		}
		b.WriteString("\n")
		row := func(g GroupReport) {
			r := g.Metrics
			fmt.Fprintf(&b, "%-*s  %6d %8.4f %8.4f %8.4f %8s %8s", width, g.Value, g.Count, r.Accuracy, r.F1Macro, r.RecallMacro, fmtOpt(r.AUCROC), fmtOpt(r.ECE))
			if a.Binary {
				fmt.Fprintf(&b, " %8s %8s", fmtOpt(g.TPR), fmtOpt(g.FPR))
			}
			if g.TooSmall {
				b.WriteString("  too small")
			}
			b.WriteString("\n")
		}
		for _, g := range f.Groups {
			row(g)
		}
		row(a.Overall)
		for _, g := range f.Gaps {
			fmt.Fprintf(&b, "gap %-18s %.4f  (%s %.4f .. %s %.4f, %d groups)\n", g.Metric, g.Gap, g.MinGroup, g.Min, g.MaxGroup, g.Max, g.Groups)
		}
		if f.EqualizedOddsGap != nil {
			fmt.Fprintf(&b, "equalized odds gap     %.4f  (max of the TPR and FPR gaps)\n", *f.EqualizedOddsGap)
		}
		for _, n := range f.Notes {
			fmt.Fprintf(&b, "note: %s\n", n)
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
