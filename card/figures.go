package card

import (
	"fmt"

	"github.com/medbert/medbert/metrics"
	"github.com/medbert/medbert/plot"
)

// Figure file names.
const (
	FigConfusion   = "confusion_matrix.svg"
	FigReliability = "reliability.svg"
	FigROC         = "roc.svg"
	FigPR          = "pr.svg"
	FigLoss        = "training_loss.svg"
)

// FigSubgroup is the file name of one group field's bar chart.
func FigSubgroup(field string) string { return "subgroups_" + safeName(field) + ".svg" }

func safeName(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			b[i] = '_'
		}
	}
	return string(b)
}

// evaluate computes the report, intervals, calibration and subgroup audit
// of e, and their charts.
func (c *Card) evaluate(labels []string, e *Eval) error {
	if len(e.YTrue) == 0 || len(e.Probs) != len(e.YTrue) {
		return fmt.Errorf("card: evaluation has %d labels and %d probability rows", len(e.YTrue), len(e.Probs))
	}
	var err error
	if c.Report, err = metrics.NewReport(e.YTrue, nil, e.Probs, labels); err != nil {
		return fmt.Errorf("card: %w", err)
	}
	reps := e.BootstrapReps
	if reps <= 0 {
		reps = 1000
	}
	if c.Intervals, err = metrics.ReportIntervals(e.YTrue, nil, e.Probs, labels, reps, 0.05, e.Seed); err != nil {
		return fmt.Errorf("card: %w", err)
	}
	if c.Bins, err = metrics.ReliabilityBins(e.YTrue, e.Probs, 10); err != nil {
		return fmt.Errorf("card: %w", err)
	}
	if len(e.Groups) > 0 {
		if c.Subgroups, err = metrics.AuditSubgroups(e.YTrue, nil, e.Probs, labels, e.Groups, metrics.AuditOptions{MinGroupSize: e.MinGroupSize}); err != nil {
			return fmt.Errorf("card: %w", err)
		}
	}
	return c.evalFigures(labels, e)
}

func (c *Card) evalFigures(labels []string, e *Eval) error {
	add := func(name string, svg []byte, err error) error {
		if err != nil {
			return fmt.Errorf("card: %s: %w", name, err)
		}
		c.Figures[name] = svg
		return nil
	}
	svg, err := plot.ConfusionMatrix{Title: "Confusion matrix (rows: true class)", Labels: labels, Counts: c.Report.ConfusionMatrix}.SVG()
	if err := add(FigConfusion, svg, err); err != nil {
		return err
	}
	bins := make([]plot.Bin, len(c.Bins))
	for i, b := range c.Bins {
		bins[i] = plot.Bin{Lo: b.Lo, Hi: b.Hi, Confidence: b.MeanConfidence, Accuracy: b.Accuracy, Count: b.Count}
	}
	svg, err = plot.Reliability{Title: "Reliability diagram", Bins: bins, ECE: c.Report.ECE}.SVG()
	if err := add(FigReliability, svg, err); err != nil {
		return err
	}
	roc, pr := oneVsRest(labels, e)
	if len(roc) > 0 {
		svg, err = plot.ROC{Title: "ROC curves (one class against the rest)", Curves: roc}.SVG()
		if err := add(FigROC, svg, err); err != nil {
			return err
		}
		svg, err = plot.PR{Title: "Precision-recall curves (one class against the rest)", Curves: pr}.SVG()
		if err := add(FigPR, svg, err); err != nil {
			return err
		}
	}
	if c.Subgroups != nil {
		for _, f := range c.Subgroups.Fields {
			svg, err := subgroupBars(f)
			if err := add(FigSubgroup(f.Field), svg, err); err != nil {
				return err
			}
		}
	}
	return nil
}

// oneVsRest returns the ROC and PR curve of each class that has both
// positives and negatives (the positive class only, for two classes).
func oneVsRest(labels []string, e *Eval) (roc, pr []plot.Curve) {
	classes := make([]int, len(labels))
	for i := range classes {
		classes[i] = i
	}
	if len(labels) == 2 {
		classes = classes[1:]
	}
	for _, k := range classes {
		scores := make([]float64, len(e.YTrue))
		pos := make([]bool, len(e.YTrue))
		yk := make([]int, len(e.YTrue))
		for i, y := range e.YTrue {
			scores[i] = e.Probs[i][k]
			pos[i] = y == k
			if pos[i] {
				yk[i] = 1
			}
		}
		fpr, tpr, _, err := metrics.ROCCurve(scores, pos)
		if err != nil {
			continue // one class only: no curve
		}
		prec, rec, _, err := metrics.PRCurve(scores, pos)
		if err != nil {
			continue
		}
		auc, _ := metrics.ROCAUC(yk, scores)
		ap, _ := metrics.AveragePrecision(yk, scores)
		roc = append(roc, plot.Curve{Name: labels[k], X: fpr, Y: tpr, Area: auc})
		pr = append(pr, plot.Curve{Name: labels[k], X: rec, Y: prec, Area: ap})
	}
	return roc, pr
}

// subgroupBars charts accuracy and macro-F1 per group of one field, the
// groups too small to judge faded.
func subgroupBars(f metrics.FieldAudit) ([]byte, error) {
	b := plot.Bars{Title: "Per-subgroup metrics: " + f.Field, ValueLabel: "score", Max: 1,
		Series: []plot.Series{{Name: "accuracy"}, {Name: "F1 (macro)"}}}
	for _, g := range f.Groups {
		b.Categories = append(b.Categories, fmt.Sprintf("%s (n=%d)", g.Value, g.Count))
		b.Muted = append(b.Muted, g.TooSmall)
		b.Series[0].Values = append(b.Series[0].Values, g.Metrics.Accuracy)
		b.Series[1].Values = append(b.Series[1].Values, g.Metrics.F1Macro)
	}
	return b.SVG()
}

// trainingFigures charts the training loss, with evaluation losses as
// markers.
func (c *Card) trainingFigures(in Input) error {
	t := in.Training
	if t == nil || len(t.Loss) < 2 {
		return nil
	}
	line := func(name string, ps []Point, markers bool) plot.Line {
		l := plot.Line{Name: name, Markers: markers}
		for _, p := range ps {
			l.X = append(l.X, p.Step)
			l.Y = append(l.Y, p.Value)
		}
		return l
	}
	ls := plot.Lines{Title: "Training loss", XLabel: "step", YLabel: "loss", Series: []plot.Line{line("training loss", t.Loss, false)}}
	if len(t.EvalLoss) > 0 {
		ls.Series = append(ls.Series, line("evaluation loss", t.EvalLoss, true))
	}
	svg, err := ls.SVG()
	if err != nil {
		return fmt.Errorf("card: loss curve: %w", err)
	}
	c.Figures[FigLoss] = svg
	return nil
}
