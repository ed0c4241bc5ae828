package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medbert/medbert/data"
	"github.com/medbert/medbert/metrics"
	"github.com/medbert/medbert/pipeline"
)

// eval --target-recall reports metrics.ThresholdForRecall's operating
// point; --group-field audits the data's fields with
// metrics.AuditSubgroups at that threshold, flagging small groups.
func TestEvalOperatingPointAndSubgroups(t *testing.T) {
	model, dataFile := binaryModel(t)
	js := filepath.Join(t.TempDir(), "r.json")
	stdout, stderr, code := runCLI(t, "eval", "--model", model, "--data", dataFile, "--target-recall", "0.6",
		"--group-field", "sex", "--min-group-size", "4", "--json", js)
	if code != 0 {
		t.Fatal(stderr)
	}
	var m map[string]any
	b, _ := os.ReadFile(js)
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	// The reference: the library functions on the same probabilities.
	p, err := pipeline.Load(model, pipeline.Options{})
	if err != nil {
		t.Fatal(err)
	}
	exs, _, err := data.ReadExamples(dataFile, data.Options{KeepFields: true})
	if err != nil {
		t.Fatal(err)
	}
	r, err := p.Evaluate(context.Background(), exs)
	if err != nil {
		t.Fatal(err)
	}
	yTrue, _ := p.Labels.Encode(exs)
	scores, positive, sex := make([]float64, 10), make([]bool, 10), make([]string, 10)
	for i := range exs {
		scores[i], positive[i] = r.Probs[i][1], yTrue[i] == 1
		sex[i], _ = exs[i].Field("sex")
	}
	op, err := metrics.ThresholdForRecall(scores, positive, 0.6)
	if err != nil {
		t.Fatal(err)
	}
	got := m["operating_point"].(map[string]any)
	if got["threshold"] != op.Threshold || m["threshold"] != op.Threshold || got["tp"] != float64(op.TP) || got["recall"] != op.Recall {
		t.Errorf("operating_point %v threshold %v, want %+v", got, m["threshold"], op)
	}
	yPred := make([]int, 10)
	for i, s := range scores {
		if s >= op.Threshold {
			yPred[i] = 1
		}
	}
	a, err := metrics.AuditSubgroups(yTrue, yPred, r.Probs, p.Labels.Names(), []metrics.GroupField{{Name: "sex", Values: sex}}, metrics.AuditOptions{MinGroupSize: 4})
	if err != nil {
		t.Fatal(err)
	}
	wantJSON, _ := json.Marshal(a)
	gotJSON, _ := json.Marshal(m["subgroups"])
	var w, g any
	json.Unmarshal(wantJSON, &w)
	json.Unmarshal(gotJSON, &g)
	wb, _ := json.Marshal(w)
	gb, _ := json.Marshal(g)
	if string(wb) != string(gb) {
		t.Errorf("subgroups\n%s\nwant\n%s", gb, wb)
	}
	groups := m["subgroups"].(map[string]any)["fields"].([]any)[0].(map[string]any)["groups"].([]any)
	if len(groups) != 2 || groups[1].(map[string]any)["value"] != "M" || groups[1].(map[string]any)["too_small"] != true ||
		groups[0].(map[string]any)["count"] != 7.0 {
		t.Errorf("groups %v: want F (7) and M (3, too small)", groups)
	}
	if !strings.Contains(stderr, "eval: max length 64 tokens") {
		t.Errorf("eval does not state its max length: %q", stderr)
	}
	if !strings.Contains(stdout, "subgroups by sex") || !strings.Contains(stdout, "too small") {
		t.Errorf("eval output lacks the subgroup table:\n%s", stdout)
	}
	// A field no row has is an error naming it.
	if _, stderr, code := runCLI(t, "eval", "--model", model, "--data", dataFile, "--group-field", "age_band"); code == 0 ||
		!strings.Contains(stderr, "age_band") {
		t.Errorf("missing group field: exit %d, %q", code, stderr)
	}
	// --save-threshold without a way to choose one is refused before loading.
	if _, stderr, code := runCLI(t, "eval", "--model", model, "--data", dataFile, "--save-threshold"); code == 0 ||
		!strings.Contains(stderr, "--target-recall") {
		t.Errorf("--save-threshold alone: exit %d, %q", code, stderr)
	}
}
