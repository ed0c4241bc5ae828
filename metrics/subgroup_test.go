package metrics

import (
	"bytes"
	"encoding/json"
	"os"
	"sort"
	"strings"
	"testing"
)

// subgroupFixture mirrors the "subgroup_cases" of sklearn_fixture.json.
type subgroupFixture struct {
	SubgroupCases []struct {
		Name         string                   `json:"name"`
		YTrue        []int                    `json:"y_true"`
		YPred        []int                    `json:"y_pred"`
		Probs        [][]float64              `json:"probs"`
		NClasses     int                      `json:"n_classes"`
		MinGroupSize int                      `json:"min_group_size"`
		Fields       map[string][]string      `json:"fields"`
		Expected     map[string]sgFieldExpect `json:"expected"`
	} `json:"subgroup_cases"`
}

type sgFieldExpect struct {
	Groups           map[string]map[string]any `json:"groups"`
	Gaps             map[string]float64        `json:"gaps"`
	EqualizedOddsGap *float64                  `json:"equalized_odds_gap"`
}

// groupValue reads a named metric from a GroupReport (ok false = nil).
func groupValue(g *GroupReport, name string) (float64, bool) {
	r := g.Metrics
	switch name {
	case "count":
		return float64(g.Count), true
	case "precision_micro":
		return r.PrecisionMicro, true
	case "recall_micro":
		return r.RecallMicro, true
	case "f1_micro":
		return r.F1Micro, true
	}
	for _, m := range gapMetrics {
		if m.name == name {
			return m.get(g)
		}
	}
	panic("unknown metric " + name)
}

func TestSubgroupAuditMatchesSklearn(t *testing.T) {
	b, err := os.ReadFile("../testdata/metrics/sklearn_fixture.json")
	if err != nil {
		t.Fatal(err)
	}
	var f subgroupFixture
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.SubgroupCases) < 2 {
		t.Fatalf("%d subgroup cases", len(f.SubgroupCases))
	}
	for _, c := range f.SubgroupCases {
		labels := make([]string, c.NClasses)
		for i := range labels {
			labels[i] = string(rune('a' + i))
		}
		var fields []GroupField
		for _, name := range sortedKeys(c.Fields) {
			fields = append(fields, GroupField{Name: name, Values: c.Fields[name]})
		}
		a, err := AuditSubgroups(c.YTrue, c.YPred, c.Probs, labels, fields, AuditOptions{MinGroupSize: c.MinGroupSize})
		if err != nil {
			t.Fatal(err)
		}
		if len(a.Fields) != len(c.Expected) {
			t.Fatalf("%s: %d fields, want %d", c.Name, len(a.Fields), len(c.Expected))
		}
		smallInCase := 0
		for _, fa := range a.Fields {
			exp := c.Expected[fa.Field]
			if len(fa.Groups) != len(exp.Groups) {
				t.Fatalf("%s/%s: %d groups, sklearn %d", c.Name, fa.Field, len(fa.Groups), len(exp.Groups))
			}
			small := 0
			for i := range fa.Groups {
				g := &fa.Groups[i]
				e := exp.Groups[g.Value]
				where := c.Name + "/" + fa.Field + "=" + g.Value + " "
				for name, want := range e {
					switch name {
					case "per_class", "confusion_matrix":
						continue
					}
					got, ok := groupValue(g, name)
					if want == nil {
						if ok {
							t.Errorf("%s%s = %v, sklearn undefined", where, name, got)
						}
						continue
					}
					if !ok {
						t.Errorf("%s%s undefined, sklearn %v", where, name, want)
						continue
					}
					near(t, where+name, got, want.(float64))
				}
				pc := e["per_class"].(map[string]any)
				for k, cr := range g.Metrics.PerClass {
					near(t, where+"per-class precision", cr.Precision, pc["precision"].([]any)[k].(float64))
					near(t, where+"per-class recall", cr.Recall, pc["recall"].([]any)[k].(float64))
					near(t, where+"per-class f1", cr.F1, pc["f1"].([]any)[k].(float64))
					if float64(cr.Support) != pc["support"].([]any)[k].(float64) {
						t.Errorf("%ssupport[%d] = %d", where, k, cr.Support)
					}
				}
				cm := e["confusion_matrix"].([]any)
				for r, row := range g.Metrics.ConfusionMatrix {
					for col, v := range row {
						if float64(v) != cm[r].([]any)[col].(float64) {
							t.Errorf("%scm[%d][%d] = %d", where, r, col, v)
						}
					}
				}
				if g.TooSmall != (g.Count < c.MinGroupSize) {
					t.Errorf("%stoo_small %v with %d examples", where, g.TooSmall, g.Count)
				}
				if g.TooSmall {
					small++
				}
			}
			smallInCase += small
			if len(fa.Gaps) != len(exp.Gaps) {
				t.Errorf("%s/%s: %d gaps, sklearn %d", c.Name, fa.Field, len(fa.Gaps), len(exp.Gaps))
			}
			for _, g := range fa.Gaps {
				want, ok := exp.Gaps[g.Metric]
				if !ok {
					t.Errorf("%s/%s: gap %s not in the fixture", c.Name, fa.Field, g.Metric)
					continue
				}
				near(t, c.Name+"/"+fa.Field+" gap "+g.Metric, g.Gap, want)
			}
			switch {
			case exp.EqualizedOddsGap == nil && fa.EqualizedOddsGap != nil:
				t.Errorf("%s/%s: equalized odds %v, want none", c.Name, fa.Field, *fa.EqualizedOddsGap)
			case exp.EqualizedOddsGap != nil && fa.EqualizedOddsGap == nil:
				t.Errorf("%s/%s: equalized odds missing", c.Name, fa.Field)
			case exp.EqualizedOddsGap != nil:
				near(t, c.Name+"/"+fa.Field+" equalized odds", *fa.EqualizedOddsGap, *exp.EqualizedOddsGap)
			}
		}
		if smallInCase == 0 {
			t.Errorf("%s: no group too small to judge; the fixture should have one", c.Name)
		}
	}
}

func sortedKeys(m map[string][]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// A hand-made binary audit: group "a" (4 examples) and "b" (4) with
// MinGroupSize 4, group "c" (1) too small. Checks TPR/FPR, gaps with
// their groups, the equalised-odds gap, JSON keys and the text table.
func TestSubgroupAuditHand(t *testing.T) {
	y := []int{1, 1, 0, 0, 1, 1, 0, 0, 1}
	p := []int{1, 0, 0, 0, 1, 1, 1, 1, 0}
	g := []string{"a", "a", "a", "a", "b", "b", "b", "b", "c"}
	a, err := AuditSubgroups(y, p, nil, []string{"neg", "pos"}, []GroupField{{"site", g}}, AuditOptions{MinGroupSize: 4})
	if err != nil {
		t.Fatal(err)
	}
	fa := a.Fields[0]
	// a: TPR 1/2, FPR 0, accuracy 3/4; b: TPR 1, FPR 1, accuracy 1/2.
	ga, gb, gc := fa.Groups[0], fa.Groups[1], fa.Groups[2]
	near(t, "tpr a", *ga.TPR, 0.5)
	near(t, "fpr a", *ga.FPR, 0)
	near(t, "tpr b", *gb.TPR, 1)
	near(t, "fpr b", *gb.FPR, 1)
	if !gc.TooSmall || gc.FPR != nil || ga.TooSmall {
		t.Errorf("c: %+v", gc)
	}
	gaps := map[string]MetricGap{}
	for _, m := range fa.Gaps {
		gaps[m.Metric] = m
	}
	if m := gaps["accuracy"]; m.Gap != 0.25 || m.MinGroup != "b" || m.MaxGroup != "a" || m.Groups != 2 {
		t.Errorf("accuracy gap %+v", m)
	}
	if _, ok := gaps["auc_roc"]; ok {
		t.Error("AUC gap without probabilities")
	}
	if fa.EqualizedOddsGap == nil || *fa.EqualizedOddsGap != 1 {
		t.Errorf("equalized odds %v, want max(0.5, 1) = 1", fa.EqualizedOddsGap)
	}
	js, err := a.JSON()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{`"min_group_size": 4`, `"too_small": true`, `"equalized_odds_gap": 1`, `"min_group": "b"`, `"field": "site"`, `"overall": {`} {
		if !bytes.Contains(js, []byte(k)) {
			t.Errorf("JSON lacks %s", k)
		}
	}
	var buf bytes.Buffer
	if err := a.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"subgroups by site", "too small", "gap accuracy", "0.2500", "equalized odds gap     1.0000"} {
		if !strings.Contains(out, want) {
			t.Errorf("text lacks %q:\n%s", want, out)
		}
	}
}

func TestSubgroupAuditErrors(t *testing.T) {
	y, p := []int{0, 1}, []int{0, 1}
	l := []string{"n", "p"}
	if _, err := AuditSubgroups(y, p, nil, l, []GroupField{{"sex", []string{"F"}}}, AuditOptions{}); err == nil {
		t.Error("short field accepted")
	}
	if _, err := AuditSubgroups(y, p, nil, l, []GroupField{{"sex", []string{"F", "M"}}, {"sex", []string{"F", "M"}}}, AuditOptions{}); err == nil {
		t.Error("duplicate field accepted")
	}
	a, err := AuditSubgroups(y, p, nil, l, []GroupField{{"sex", []string{"F", "M"}}}, AuditOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if a.MinGroupSize != DefaultMinGroupSize || len(a.Fields[0].Gaps) != 0 || len(a.Fields[0].Notes) != 3 {
		t.Errorf("default min size / notes: %+v", a.Fields[0])
	}
}
