package card

import (
	"encoding/xml"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/medbert/medbert/metrics"
)

// syntheticEval is a binary evaluation where group "B" is harder than
// "A" and group "C" has only 5 examples.
func syntheticEval() *Eval {
	rng := rand.New(rand.NewPCG(1, 2))
	e := &Eval{Split: "test split", Seed: 7, BootstrapReps: 200}
	var groups []string
	for i := range 305 {
		g := "A"
		switch {
		case i >= 300:
			g = "C"
		case i >= 150:
			g = "B"
		}
		y := rng.IntN(2)
		noise := 0.25
		if g == "B" {
			noise = 0.45
		}
		p := 0.5 + (float64(2*y-1))*(0.5-noise) + 0.2*(rng.Float64()-0.5)
		p = min(max(p, 0.01), 0.99)
		e.YTrue = append(e.YTrue, y)
		e.Probs = append(e.Probs, []float64{1 - p, p})
		groups = append(groups, g)
	}
	e.Groups = []metrics.GroupField{{Name: "site", Values: groups}}
	return e
}

func testInput() Input {
	return Input{
		Name: "dx|model", SHA256: "abc123", Task: "sequence classification", Labels: []string{"routine", "urgent"},
		Architecture: []Fact{{"Layers", "2"}, {"Hidden size", "128"}},
		Training: &Training{
			Data: []Fact{{"Training file", "notes_train.jsonl"}}, ClassCounts: []int{60, 40}, TruncationRate: 0.35, MaxLength: 128,
			Hyperparameters: []Fact{{"learning_rate", "2e-5"}},
			Loss:            []Point{{1, 0.9}, {2, 0.7}, {3, 0.6}}, EvalLoss: []Point{{3, 0.65}},
		},
		Eval: syntheticEval(),
		Date: time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC),
	}
}

func TestBuildCard(t *testing.T) {
	in := testInput()
	c, err := Build(in)
	if err != nil {
		t.Fatal(err)
	}
	md := string(c.Markdown)
	want, err := metrics.NewReport(in.Eval.YTrue, nil, in.Eval.Probs, in.Labels)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{
		"# Model card: dx\\|model", Statement, "Trained from a random initialisation",
		fmt.Sprintf("| accuracy | %.3f |", want.Accuracy), fmt.Sprintf("| f1_macro | %.3f |", want.F1Macro),
		"routine 60 (60.0%); urgent 40 (40.0%)", "| Truncated at max length | 35.0% of examples |",
		"| De-identification | not recorded |", "#### site", "| C *(too small)* | 5 |", "Equalised-odds gap",
		"35% of training texts were longer than 128 tokens", "Without pre-training",
		"card_figures/confusion_matrix.svg", "card_figures/reliability.svg", "card_figures/roc.svg",
		"card_figures/subgroups_site.svg", "card_figures/training_loss.svg",
	} {
		if !strings.Contains(md, s) {
			t.Errorf("card lacks %q", s)
		}
	}
	if c.Report.Accuracy != want.Accuracy || c.Subgroups == nil || len(c.Intervals) == 0 {
		t.Fatal("numbers behind the card missing")
	}
	for _, iv := range c.Intervals {
		if !(iv.Lo <= iv.Estimate && iv.Estimate <= iv.Hi) {
			t.Errorf("%s: estimate %g outside its interval [%g, %g]", iv.Metric, iv.Estimate, iv.Lo, iv.Hi)
		}
	}
	for _, name := range []string{FigConfusion, FigReliability, FigROC, FigPR, FigLoss, FigSubgroup("site")} {
		svg, ok := c.Figures[name]
		if !ok {
			t.Errorf("figure %s missing", name)
			continue
		}
		if err := xml.Unmarshal(svg, new(struct{ XMLName xml.Name })); err != nil {
			t.Errorf("%s is not well-formed XML: %v", name, err)
		}
	}
	// Group B's accuracy is below A's: the gap names them.
	gapSeen := false
	for _, g := range c.Subgroups.Fields[0].Gaps {
		if g.Metric == "accuracy" && g.MinGroup == "B" && g.MaxGroup == "A" {
			gapSeen = true
		}
	}
	if !gapSeen {
		t.Error("the accuracy gap does not run from B to A")
	}
}

func TestCardWithoutEvaluation(t *testing.T) {
	c, err := Build(Input{Name: "m", Labels: []string{"a", "b"}, BaseModel: "biobert-v1.1"})
	if err != nil {
		t.Fatal(err)
	}
	md := string(c.Markdown)
	if !strings.Contains(md, "its performance is unknown") || !strings.Contains(md, "Fine-tuned from `biobert-v1.1`") || strings.Contains(md, "## Evaluation") {
		t.Errorf("card without evaluation:\n%s", md)
	}
	if len(c.Figures) != 0 {
		t.Errorf("figures without data: %v", c.Figures)
	}
	if _, err := Build(Input{Name: "m", Labels: []string{"a"}}); err == nil {
		t.Error("one label: no error")
	}
	if _, err := Build(Input{Name: "m", Labels: []string{"a", "b"}, Eval: &Eval{YTrue: []int{0}}}); err == nil {
		t.Error("labels without probabilities: no error")
	}
}

func TestWriteCard(t *testing.T) {
	c, err := Build(testInput())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "MODEL_CARD.md")
	if err := c.Write(path); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != string(c.Markdown) {
		t.Fatalf("card on disk differs: %v", err)
	}
	for name, svg := range c.Figures {
		b, err := os.ReadFile(filepath.Join(dir, FigureDir, name))
		if err != nil || string(b) != string(svg) {
			t.Errorf("figure %s on disk differs: %v", name, err)
		}
	}
}
