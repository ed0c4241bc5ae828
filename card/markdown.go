package card

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/medbert/medbert/metrics"
	"github.com/medbert/medbert/safetensors"
)

// render writes the card's Markdown.
func render(in Input, c *Card) []byte {
	var b bytes.Buffer
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("# Model card: %s\n\n", md(in.Name))
	p("> **Intended use.** %s\n\n", Statement)
	facts := []Fact{{"Task", in.Task}, {"Labels", strings.Join(in.Labels, ", ")}, {"Model SHA-256", in.SHA256}, {"Card written", in.Date.Format("2006-01-02 15:04 UTC")}}
	table(&b, "", facts)

	p("## Method\n\n")
	if in.BaseModel != "" {
		p("Fine-tuned from `%s`.\n\n", in.BaseModel)
	} else {
		p("Trained from a random initialisation (no pre-trained weights).\n\n")
	}
	table(&b, "Architecture", in.Architecture)
	if t := in.Training; t != nil {
		table(&b, "Hyper-parameters", t.Hyperparameters)
	}

	trainingSection(&b, in)
	if c.Report != nil {
		evalSection(&b, in, c)
	}
	limitsSection(&b, in, c)
	return b.Bytes()
}

func trainingSection(b *bytes.Buffer, in Input) {
	t := in.Training
	if t == nil {
		return
	}
	fmt.Fprintf(b, "## Training data\n\n")
	facts := append([]Fact(nil), t.Data...)
	if len(t.ClassCounts) == len(in.Labels) {
		total := 0
		for _, n := range t.ClassCounts {
			total += n
		}
		var parts []string
		for i, n := range t.ClassCounts {
			parts = append(parts, fmt.Sprintf("%s %d (%.1f%%)", in.Labels[i], n, pct(n, total)))
		}
		facts = append(facts, Fact{"Examples", fmt.Sprint(total)}, Fact{"Class balance", strings.Join(parts, "; ")})
	}
	if t.MaxLength > 0 {
		facts = append(facts, Fact{"Max length", fmt.Sprintf("%d tokens", t.MaxLength)})
	}
	if t.TruncationRate >= 0 {
		facts = append(facts, Fact{"Truncated at max length", fmt.Sprintf("%.1f%% of examples", 100*t.TruncationRate)})
	}
	switch {
	case t.Deidentified == nil:
		facts = append(facts, Fact{"De-identification", "not recorded"})
	case *t.Deidentified:
		facts = append(facts, Fact{"De-identification", "applied to the text fields before tokenization"})
	default:
		facts = append(facts, Fact{"De-identification", "not applied"})
	}
	facts = append(facts, t.Extra...)
	table(b, "", facts)
	if len(t.Loss) >= 2 {
		fmt.Fprintf(b, "![Training loss](%s/%s)\n\n", FigureDir, FigLoss)
	}
}

func evalSection(b *bytes.Buffer, in Input, c *Card) {
	r := c.Report
	fmt.Fprintf(b, "## Evaluation\n\n")
	if in.Eval.Split != "" {
		fmt.Fprintf(b, "On the %s, %d examples. Intervals are 95%% percentile-bootstrap intervals over examples.\n\n", md(in.Eval.Split), r.Examples)
	} else {
		fmt.Fprintf(b, "On %d held-out examples. Intervals are 95%% percentile-bootstrap intervals over examples.\n\n", r.Examples)
	}
	fmt.Fprintf(b, "| metric | value | 95%% interval |\n|---|---|---|\n")
	for _, iv := range c.Intervals {
		fmt.Fprintf(b, "| %s | %.3f | %.3f – %.3f |\n", iv.Metric, iv.Estimate, iv.Lo, iv.Hi)
	}
	fmt.Fprintf(b, "\n| class | precision | recall | F1 | support |\n|---|---|---|---|---|\n")
	for _, pc := range r.PerClass {
		fmt.Fprintf(b, "| %s | %.3f | %.3f | %.3f | %d |\n", md(pc.Label), pc.Precision, pc.Recall, pc.F1, pc.Support)
	}
	fmt.Fprintf(b, "\n![Confusion matrix](%s/%s)\n\n", FigureDir, FigConfusion)
	if _, ok := c.Figures[FigROC]; ok {
		fmt.Fprintf(b, "![ROC curves](%s/%s) ![Precision-recall curves](%s/%s)\n\n", FigureDir, FigROC, FigureDir, FigPR)
	}
	fmt.Fprintf(b, "### Calibration\n\n")
	if r.ECE != nil {
		fmt.Fprintf(b, "Expected calibration error (10 equal-width bins of the top probability): %.3f. ", *r.ECE)
	}
	fmt.Fprintf(b, "A score is only as trustworthy as its calibration: where the bars fall below the diagonal, the model is more confident than it is right.\n\n")
	fmt.Fprintf(b, "![Reliability diagram](%s/%s)\n\n", FigureDir, FigReliability)
	if c.Subgroups != nil {
		subgroupSection(b, c.Subgroups)
	}
}

func subgroupSection(b *bytes.Buffer, a *metrics.SubgroupAudit) {
	fmt.Fprintf(b, "### Per subgroup\n\nGroups with fewer than %d examples are reported but not judged (marked *too small*).\n\n", a.MinGroupSize)
	for _, f := range a.Fields {
		fmt.Fprintf(b, "#### %s\n\n| group | n | accuracy | F1 (macro) | AUC |", md(f.Field))
		if a.Binary {
			fmt.Fprintf(b, " TPR | FPR |")
		}
		fmt.Fprintf(b, "\n|---|---|---|---|---|")
		if a.Binary {
			fmt.Fprintf(b, "---|---|")
		}
		fmt.Fprintln(b)
		for _, g := range f.Groups {
			name := md(g.Value)
			if g.TooSmall {
				name += " *(too small)*"
			}
			fmt.Fprintf(b, "| %s | %d | %.3f | %.3f | %s |", name, g.Count, g.Metrics.Accuracy, g.Metrics.F1Macro, optf(g.Metrics.AUCROC))
			if a.Binary {
				fmt.Fprintf(b, " %s | %s |", optf(g.TPR), optf(g.FPR))
			}
			fmt.Fprintln(b)
		}
		fmt.Fprintln(b)
		for _, gap := range f.Gaps {
			if gap.Metric == "accuracy" || gap.Metric == "f1_macro" || gap.Metric == "auc_roc" {
				fmt.Fprintf(b, "- Largest %s gap: %.3f (%s %.3f vs %s %.3f)\n", gap.Metric, gap.Gap, md(gap.MinGroup), gap.Min, md(gap.MaxGroup), gap.Max)
			}
		}
		if f.EqualizedOddsGap != nil {
			fmt.Fprintf(b, "- Equalised-odds gap: %.3f\n", *f.EqualizedOddsGap)
		}
		fmt.Fprintf(b, "\n![Per-subgroup metrics: %s](%s/%s)\n\n", md(f.Field), FigureDir, FigSubgroup(f.Field))
	}
}

func limitsSection(b *bytes.Buffer, in Input, c *Card) {
	limits := append([]string(nil), in.Limits...)
	if r := c.Report; r != nil {
		if r.Examples < 200 {
			limits = append(limits, fmt.Sprintf("The evaluation has only %d examples: the intervals above are wide and small differences mean little.", r.Examples))
		}
		var rare []string
		for _, pc := range r.PerClass {
			if pc.Support < 30 {
				rare = append(rare, fmt.Sprintf("%s (%d)", pc.Label, pc.Support))
			}
		}
		if len(rare) > 0 {
			sort.Strings(rare)
			limits = append(limits, "Classes with fewer than 30 evaluation examples cannot be judged reliably: "+md(strings.Join(rare, ", "))+".")
		}
	} else {
		limits = append(limits, "No labelled evaluation was given to this card: its performance is unknown.")
	}
	if t := in.Training; t != nil && t.TruncationRate > 0.2 {
		limits = append(limits, fmt.Sprintf("%.0f%% of training texts were longer than %d tokens and were cut: the model never saw their ends.", 100*t.TruncationRate, t.MaxLength))
	}
	if in.BaseModel == "" {
		limits = append(limits, "Without pre-training the model knows only the vocabulary of its training data.")
	}
	limits = append(limits,
		"It was evaluated on data like its training data; on another hospital's notes, another population or another time its errors may differ. Re-evaluate before use.",
		"Scores are not probabilities of disease in a patient; see the calibration section.")
	fmt.Fprintf(b, "## Known limits\n\n")
	for _, l := range limits {
		fmt.Fprintf(b, "- %s\n", l)
	}
}

func table(b *bytes.Buffer, title string, facts []Fact) {
	var rows []Fact
	for _, f := range facts {
		if f.Value != "" {
			rows = append(rows, f)
		}
	}
	if len(rows) == 0 {
		return
	}
	if title != "" {
		fmt.Fprintf(b, "**%s**\n\n", title)
	}
	fmt.Fprintf(b, "| | |\n|---|---|\n")
	for _, f := range rows {
		fmt.Fprintf(b, "| %s | %s |\n", md(f.Name), md(f.Value))
	}
	fmt.Fprintln(b)
}

func optf(p *float64) string {
	if p == nil {
		return "–"
	}
	return fmt.Sprintf("%.3f", *p)
}

func pct(n, total int) float64 {
	if total == 0 {
		return 0
	}
	return 100 * float64(n) / float64(total)
}

// md escapes the characters that would break a Markdown table cell or
// start markup in user-provided names.
func md(s string) string {
	r := strings.NewReplacer("|", `\|`, "\n", " ", "\r", " ", "*", `\*`, "_", `\_`, "`", "\\`", "<", "&lt;", ">", "&gt;", "[", `\[`, "]", `\]`)
	return r.Replace(s)
}

// Write writes the card as path (e.g. MODEL_CARD.md) and its figures in
// FigureDir beside it, each file atomically.
func (c *Card) Write(path string) error {
	dir := filepath.Join(filepath.Dir(path), FigureDir)
	if len(c.Figures) > 0 {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("card: %w", err)
		}
	}
	names := make([]string, 0, len(c.Figures))
	for n := range c.Figures {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := writeFile(filepath.Join(dir, n), c.Figures[n]); err != nil {
			return err
		}
	}
	return writeFile(path, c.Markdown)
}

func writeFile(path string, data []byte) error {
	return safetensors.WriteAtomic(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}
