package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/medbert/medbert/bert"
	"github.com/medbert/medbert/pipeline"
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
	if err := parseFlags(fs, args); err != nil {
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
	if err := copyTokenizer(*model, *output, m.Config); err != nil {
		return err
	}
	// A decision threshold chosen on the float model carries over: int8
	// agrees with it to within the accuracy gate.
	if t, err := pipeline.LoadThreshold(*model); err != nil {
		return err
	} else if t != nil {
		if err := pipeline.SaveThreshold(*output, *t); err != nil {
			return err
		}
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

// copyTokenizer writes the tokenizer of the model folder src, if it has
// one, into dst (tokenize's writer: the one place tokenizer files are
// written).
func copyTokenizer(src, dst string, cfg *bert.Config) error {
	has := false
	for _, f := range []string{"vocab.txt", "tokenizer.json"} {
		if _, err := os.Stat(filepath.Join(src, f)); err == nil {
			has = true
		}
	}
	if !has {
		return nil
	}
	tok, err := pipeline.LoadTokenizer(src, cfg, nil)
	if err != nil {
		return err
	}
	return tok.SaveDir(dst)
}
