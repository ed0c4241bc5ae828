package metrics

import (
	"fmt"
	"math"
	"sort"
)

// DefaultMinGroupSize is the group size below which AuditSubgroups flags a
// group as too small to judge: with fewer examples a single error moves
// accuracy by more than 3 points.
const DefaultMinGroupSize = 30

// GroupField is one attribute to audit by, such as sex or age band: the
// attribute's value for every example, in example order.
type GroupField struct {
	Name   string
	Values []string
}

// AuditOptions tunes AuditSubgroups; the zero value is the default.
type AuditOptions struct {
	// MinGroupSize: groups with fewer examples are flagged too_small and
	// left out of the gaps. 0 means DefaultMinGroupSize.
	MinGroupSize int
}

// GroupReport is every metric of one subgroup: the full Report on the
// group's examples, plus TPR and FPR for binary tasks (class 1 positive;
// nil when the group has no positives or no negatives).
type GroupReport struct {
	Value    string   `json:"value"`
	Count    int      `json:"count"`
	TooSmall bool     `json:"too_small"`
	TPR      *float64 `json:"tpr,omitempty"`
	FPR      *float64 `json:"fpr,omitempty"`
	Metrics  *Report  `json:"metrics"`
}

// MetricGap is the largest difference of one metric between the groups
// of a field that are large enough to judge and where it is defined.
type MetricGap struct {
	Metric   string  `json:"metric"`
	Gap      float64 `json:"gap"` // Max − Min
	Min      float64 `json:"min"`
	Max      float64 `json:"max"`
	MinGroup string  `json:"min_group"`
	MaxGroup string  `json:"max_group"`
	Groups   int     `json:"groups"` // how many groups were compared
}

// FieldAudit is the audit of one group field.
type FieldAudit struct {
	Field  string        `json:"field"`
	Groups []GroupReport `json:"groups"` // sorted by value
	Gaps   []MetricGap   `json:"gaps"`   // one per metric defined in at least two judged groups
	// EqualizedOddsGap is max(TPR gap, FPR gap) over the judged groups
	// (fairlearn's equalized_odds_difference); binary tasks only, nil
	// when either gap is undefined.
	EqualizedOddsGap *float64 `json:"equalized_odds_gap"`
	Notes            []string `json:"notes,omitempty"`
}

// SubgroupAudit is the result of AuditSubgroups.
type SubgroupAudit struct {
	Labels       []string     `json:"labels"`
	MinGroupSize int          `json:"min_group_size"`
	Binary       bool         `json:"binary"`
	Overall      GroupReport  `json:"overall"` // every example, Value "all"
	Fields       []FieldAudit `json:"fields"`
}

// gapMetrics lists the metrics whose gaps are reported, in order, with
// how to read each from a group (ok false when undefined there).
var gapMetrics = []struct {
	name string
	get  func(g *GroupReport) (float64, bool)
}{
	{"accuracy", func(g *GroupReport) (float64, bool) { return g.Metrics.Accuracy, true }},
	{"precision_macro", func(g *GroupReport) (float64, bool) { return g.Metrics.PrecisionMacro, true }},
	{"recall_macro", func(g *GroupReport) (float64, bool) { return g.Metrics.RecallMacro, true }},
	{"f1_macro", func(g *GroupReport) (float64, bool) { return g.Metrics.F1Macro, true }},
	{"precision_weighted", func(g *GroupReport) (float64, bool) { return g.Metrics.PrecisionWeighted, true }},
	{"recall_weighted", func(g *GroupReport) (float64, bool) { return g.Metrics.RecallWeighted, true }},
	{"f1_weighted", func(g *GroupReport) (float64, bool) { return g.Metrics.F1Weighted, true }},
	{"auc_roc", func(g *GroupReport) (float64, bool) { return opt(g.Metrics.AUCROC) }},
	{"pr_auc", func(g *GroupReport) (float64, bool) { return opt(g.Metrics.PRAUC) }},
	{"ece", func(g *GroupReport) (float64, bool) { return opt(g.Metrics.ECE) }},
	{"tpr", func(g *GroupReport) (float64, bool) { return opt(g.TPR) }},
	{"fpr", func(g *GroupReport) (float64, bool) { return opt(g.FPR) }},
}

func opt(p *float64) (float64, bool) {
	if p == nil {
		return 0, false
	}
	return *p, true
}

// AuditSubgroups reports every metric per subgroup for each group field:
// yTrue, yPred, probs and labels are as for NewReport (probs may be nil,
// yPred may be nil when probs is given); each field holds one value per
// example. For every field it gives each group's full Report (accuracy,
// P/R/F1 macro, weighted and per class, AUC where defined, PR-AUC, ECE,
// confusion matrix), TPR/FPR for binary tasks, the largest gap per metric
// over the groups with at least MinGroupSize examples, and the equalised-
// odds gap. Smaller groups are still reported, flagged too_small.
func AuditSubgroups(yTrue, yPred []int, probs [][]float64, labels []string, fields []GroupField, opt AuditOptions) (*SubgroupAudit, error) {
	minSize := opt.MinGroupSize
	if minSize <= 0 {
		minSize = DefaultMinGroupSize
	}
	if yPred == nil && probs != nil {
		yPred = Argmax(probs)
	}
	a := &SubgroupAudit{Labels: labels, MinGroupSize: minSize, Binary: len(labels) == 2}
	all, err := groupReport("all", seq(len(yTrue)), yTrue, yPred, probs, labels, minSize)
	if err != nil {
		return nil, err
	}
	a.Overall = all
	seen := map[string]bool{}
	for _, f := range fields {
		if seen[f.Name] {
			return nil, fmt.Errorf("metrics: group field %q listed twice", f.Name)
		}
		seen[f.Name] = true
		if len(f.Values) != len(yTrue) {
			return nil, fmt.Errorf("metrics: group field %q has %d values for %d examples", f.Name, len(f.Values), len(yTrue))
		}
		fa, err := auditField(f, yTrue, yPred, probs, labels, minSize)
		if err != nil {
			return nil, err
		}
		a.Fields = append(a.Fields, fa)
	}
	return a, nil
}

func auditField(f GroupField, yTrue, yPred []int, probs [][]float64, labels []string, minSize int) (FieldAudit, error) {
	members := map[string][]int{}
	for i, v := range f.Values {
		members[v] = append(members[v], i)
	}
	values := make([]string, 0, len(members))
	for v := range members {
		values = append(values, v)
	}
	sort.Strings(values)
	fa := FieldAudit{Field: f.Name, Gaps: []MetricGap{}}
	for _, v := range values {
		g, err := groupReport(v, members[v], yTrue, yPred, probs, labels, minSize)
		if err != nil {
			return FieldAudit{}, fmt.Errorf("group field %q: %w", f.Name, err)
		}
		fa.Groups = append(fa.Groups, g)
		if g.TooSmall {
			fa.Notes = append(fa.Notes, fmt.Sprintf("group %q (n=%d) is under the minimum of %d examples: too small to judge, left out of the gaps", v, g.Count, minSize))
		}
	}
	for _, m := range gapMetrics {
		gap := MetricGap{Metric: m.name, Min: math.Inf(1), Max: math.Inf(-1)}
		for i := range fa.Groups {
			g := &fa.Groups[i]
			val, ok := m.get(g)
			if g.TooSmall || !ok {
				continue
			}
			gap.Groups++
			if val < gap.Min {
				gap.Min, gap.MinGroup = val, g.Value
			}
			if val > gap.Max {
				gap.Max, gap.MaxGroup = val, g.Value
			}
		}
		if gap.Groups >= 2 {
			gap.Gap = gap.Max - gap.Min
			fa.Gaps = append(fa.Gaps, gap)
		}
	}
	var tprGap, fprGap *float64
	for i := range fa.Gaps {
		switch fa.Gaps[i].Metric {
		case "tpr":
			tprGap = &fa.Gaps[i].Gap
		case "fpr":
			fprGap = &fa.Gaps[i].Gap
		}
	}
	if tprGap != nil && fprGap != nil {
		fa.EqualizedOddsGap = ptr(max(*tprGap, *fprGap))
	}
	if len(fa.Gaps) == 0 {
		fa.Notes = append(fa.Notes, fmt.Sprintf("fewer than two groups with at least %d examples: no gaps", minSize))
	}
	return fa, nil
}

// groupReport evaluates the examples idx as one group.
func groupReport(value string, idx []int, yTrue, yPred []int, probs [][]float64, labels []string, minSize int) (GroupReport, error) {
	yt := make([]int, len(idx))
	var yp []int
	if yPred != nil {
		if len(yPred) != len(yTrue) {
			return GroupReport{}, fmt.Errorf("metrics: %d true labels but %d predictions", len(yTrue), len(yPred))
		}
		yp = make([]int, len(idx))
	}
	var pr [][]float64
	if probs != nil {
		if len(probs) != len(yTrue) {
			return GroupReport{}, fmt.Errorf("metrics: %d labels but %d probability rows", len(yTrue), len(probs))
		}
		pr = make([][]float64, len(idx))
	}
	for k, i := range idx {
		yt[k] = yTrue[i]
		if yp != nil {
			yp[k] = yPred[i]
		}
		if pr != nil {
			pr[k] = probs[i]
		}
	}
	rep, err := NewReport(yt, yp, pr, labels)
	if err != nil {
		return GroupReport{}, err
	}
	g := GroupReport{Value: value, Count: len(idx), TooSmall: len(idx) < minSize, Metrics: rep}
	if len(labels) == 2 {
		cm := rep.ConfusionMatrix
		if p := cm[1][0] + cm[1][1]; p > 0 {
			g.TPR = ptr(float64(cm[1][1]) / float64(p))
		}
		if n := cm[0][0] + cm[0][1]; n > 0 {
			g.FPR = ptr(float64(cm[0][1]) / float64(n))
		}
	}
	return g, nil
}
