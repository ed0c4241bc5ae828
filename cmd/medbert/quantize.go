package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"

	"github.com/medbert/medbert/bert"
	"github.com/medbert/medbert/train"
)

func init() {
	register(&command{
		name:    "quantize",
		summary: "convert a model folder to int8 (dynamic quantization of every Linear layer) for faster, smaller CPU inference",
		run:     runQuantize,
	})
}

const quantizeHelp = `Loads a float32 model folder, quantizes the weights of every Linear layer
(attention Q/K/V and output, feed-forward, pooler, task head) to int8 and
writes an int8 model folder: model.safetensors with I8 weights plus F32
scales, and config.json with a quantization_config entry. predict, eval
and forward load such a folder like any other.

Like torch.ao.quantization.quantize_dynamic: weights are symmetric int8 with
one scale per output channel (--per-tensor: one per matrix, torch's
default); activations are quantized per row at run time; embeddings,
LayerNorm, softmax and GELU stay float32 unless --quantize-embeddings, which
stores the word-embedding table as int8 rows with per-row scales.
Check the accuracy cost with: medbert eval --model OUT --data FILE.
`

func runQuantize(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("quantize", "quantize --model DIR --output DIR [--per-tensor] [--quantize-embeddings] [--force]", stderr)
	usage := fs.Usage
	fs.Usage = func() { usage(); fmt.Fprint(stderr, "\n"+quantizeHelp) }
	model := fs.String("model", "", "float32 model folder (required)")
	output := fs.String("output", "", "int8 output folder, created if missing; must differ from --model (required)")
	head := fs.String("head", "", "head to load (base, seqcls, tokencls, qa, mlm; default: from config.json architectures)")
	perTensor := fs.Bool("per-tensor", false, "one weight scale per matrix instead of per output channel")
	embeddings := fs.Bool("quantize-embeddings", false, "also store the word embeddings as int8 rows (not with the mlm head)")
	force := fs.Bool("force", false, "replace an existing OUT/model.safetensors")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 || *model == "" || *output == "" {
		fs.Usage()
		return errors.New("want --model DIR and --output DIR and no other arguments")
	}
	outFile, err := checkOutputFolder(*model, *output, *force)
	if err != nil {
		return err
	}
	m, _, err := bert.Load(*model, bert.LoadOptions{Head: *head})
	if err != nil {
		return err
	}
	if m.Quantized() {
		return fmt.Errorf("%s is already an int8 model", filepath.Base(*model))
	}
	before := m.WeightBytes()
	if err := m.Quantize(bert.QuantOptions{PerTensor: *perTensor, Embeddings: *embeddings}); err != nil {
		return err
	}
	if err := m.Save(*output); err != nil {
		return err
	}
	qc := m.QuantConfig()
	fmt.Fprintf(stdout, "quantized %s (%s head): int8 weights %s, activations %s, embeddings %s\n",
		filepath.Base(*model), m.Head, qc.Granularity, qc.Activations, qc.Embeddings)
	fmt.Fprintf(stdout, "weights in memory: %.1f MiB -> %.1f MiB (%.0f%%)\n",
		quantMiB(before), quantMiB(m.WeightBytes()), 100*float64(m.WeightBytes())/float64(max(before, 1)))
	if st, err := os.Stat(outFile); err == nil {
		fmt.Fprintf(stdout, "wrote %s (%.1f MiB)\n", filepath.Join(filepath.Base(*output), bert.FileSafetensors), quantMiB(int(st.Size())))
	}
	return nil
}

func quantMiB(n int) float64 { return float64(n) / (1 << 20) }

// quantComparison summarises a model (usually int8) against a reference
// (usually its float32 original) evaluated on the same examples: what
// `medbert eval --compare FP32_DIR` prints.
type quantComparison struct {
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

// compareEval compares two evaluations of the same examples in the same
// order (r: the model, ref: the reference).
func compareEval(r, ref *train.EvalResult) (*quantComparison, error) {
	if len(r.Logits) != len(ref.Logits) {
		return nil, fmt.Errorf("compare: %d vs %d examples", len(r.Logits), len(ref.Logits))
	}
	c := &quantComparison{Examples: len(r.Logits)}
	var sum float64
	var n int
	for i, lg := range r.Logits {
		rl := ref.Logits[i]
		if len(lg) != len(rl) {
			return nil, fmt.Errorf("compare: example %d has %d logits vs %d in the reference", i, len(lg), len(rl))
		}
		if argmax32(lg) == argmax32(rl) {
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

func argmax32(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}

func (c *quantComparison) write(w io.Writer) {
	fmt.Fprintf(w, "compared with the reference model on %d examples:\n", c.Examples)
	fmt.Fprintf(w, "  label agreement   %d/%d = %.2f%%\n", c.Agree, c.Examples, 100*c.Agreement)
	fmt.Fprintf(w, "  logit |diff|      max %.4g, mean %.4g\n", c.MaxAbsLogit, c.MeanAbsLogit)
	fmt.Fprintf(w, "  accuracy          %.4f (reference %.4f)\n", c.Accuracy, c.AccuracyRef)
	fmt.Fprintf(w, "  f1_macro          %.4f (reference %.4f, drop %.2f points)\n", c.F1Macro, c.F1MacroRef, c.F1MacroDropPts)
}
