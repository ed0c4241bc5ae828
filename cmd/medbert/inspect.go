package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/medbert/medbert/bert"
	"github.com/medbert/medbert/tokenize"
)

func init() {
	register(&command{
		name:    "inspect",
		summary: "describe a model folder: config, parameter count, dtypes, per-tensor table",
		run:     runInspect,
	})
}

func runInspect(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("inspect", "inspect [--no-tensors] DIR", stderr)
	noTensors := fs.Bool("no-tensors", false, "omit the per-tensor table")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("want exactly one model folder")
	}
	dir := fs.Arg(0)
	if err := bert.CheckFolder(dir); err != nil {
		return err
	}
	cfg, err := bert.LoadConfig(filepath.Join(dir, bert.FileConfig))
	if err != nil {
		return err
	}
	src, file, err := bert.OpenWeights(dir)
	if err != nil {
		return err
	}
	defer src.Close()

	w := stdout
	fmt.Fprintf(w, "model folder:  %s\n", dir)
	fmt.Fprintf(w, "weights:       %s\n", filepath.Base(file))
	arch := strings.Join(cfg.Architectures, ", ")
	if arch == "" {
		arch = "(none)"
	}
	fmt.Fprintf(w, "architectures: %s (default head: %s)\n", arch, bert.DefaultHead(cfg))
	fmt.Fprintf(w, "config:        vocab %d, hidden %d, layers %d, heads %d (head dim %d), intermediate %d, max positions %d, type vocab %d\n",
		cfg.VocabSize, cfg.HiddenSize, cfg.NumHiddenLayers, cfg.NumAttentionHeads, cfg.HeadDim(), cfg.IntermediateSize, cfg.MaxPositionEmbeddings, cfg.TypeVocabSize)
	fmt.Fprintf(w, "               hidden_act %s, layer_norm_eps %g, dropout hidden %g / attention %g / classifier %g, pad id %d, initializer_range %g\n",
		cfg.HiddenAct, cfg.LayerNormEps, cfg.HiddenDropoutProb, cfg.AttentionProbsDropoutProb, cfg.ClassifierDropoutProb(), cfg.PadTokenID, cfg.InitializerRange)
	labels := make([]string, cfg.NumLabels)
	for i := range labels {
		labels[i] = fmt.Sprintf("%d=%s", i, cfg.ID2Label[i])
	}
	pt := cfg.ProblemType
	if pt == "" {
		pt = "inferred from labels"
	}
	fmt.Fprintf(w, "labels:        %d (%s); problem_type %s\n", cfg.NumLabels, strings.Join(labels, ", "), pt)
	for _, warn := range cfg.Warnings {
		fmt.Fprintf(w, "warning:       %s\n", warn)
	}

	names := src.Names()
	sort.Strings(names)
	type row struct {
		name, dtype string
		shape       []int
		n           int
	}
	rows := make([]row, 0, len(names))
	dtypes := map[string]int{}
	var total, trunk int
	heads := map[string]bool{}
	// Shapes the config implies: a checkpoint that disagrees fails to load,
	// so say which tensor and why here rather than only at forward time.
	expect := bert.ExpectedShapes(cfg)
	var mismatches []string
	for _, n := range names {
		dt, shape, ok := bert.TensorInfo(src, n)
		if !ok {
			_, s, err := src.Float32(n)
			if err != nil {
				return fmt.Errorf("%s: tensor %q: %w", file, n, err)
			}
			dt, shape = "?", s
		}
		c := 1
		for _, d := range shape {
			c *= d
		}
		rows = append(rows, row{n, dt, shape, c})
		dtypes[dt]++
		k := bert.CanonicalKey(n)
		if want, ok := expect[k]; ok && !slices.Equal(want, shape) {
			mismatches = append(mismatches, fmt.Sprintf("tensor %q has shape %v, but config.json needs %v", n, shape, want))
		}
		switch {
		case strings.HasSuffix(k, "position_ids"):
			continue // a buffer, not a parameter
		case strings.HasPrefix(k, "bert."):
			trunk += c
		case strings.HasPrefix(k, "classifier."):
			heads["classifier (seqcls/tokencls)"] = true
		case strings.HasPrefix(k, "qa_outputs."):
			heads["qa_outputs (qa)"] = true
		case strings.HasPrefix(k, "cls.predictions.decoder."):
			continue // tied alias of the word embeddings / MLM bias
		case strings.HasPrefix(k, "cls.predictions."):
			heads["cls.predictions (mlm)"] = true
		case strings.HasPrefix(k, "cls.seq_relationship."):
			heads["cls.seq_relationship (next-sentence, unused)"] = true
		}
		total += c
	}
	var dts []string
	for d, c := range dtypes {
		dts = append(dts, fmt.Sprintf("%s ×%d", d, c))
	}
	sort.Strings(dts)
	var hs []string
	for h := range heads {
		hs = append(hs, h)
	}
	sort.Strings(hs)
	if len(hs) == 0 {
		hs = []string{"none (bare BertModel)"}
	}
	fmt.Fprintf(w, "parameters:    %d (%s) in %d tensors; trunk %d, heads %d\n", total, humanCount(total), len(names), trunk, total-trunk)
	fmt.Fprintf(w, "dtypes:        %s\n", strings.Join(dts, ", "))
	fmt.Fprintf(w, "head weights:  %s\n", strings.Join(hs, ", "))
	fmt.Fprintf(w, "tokenizer:     %s\n", describeTokenizer(dir))
	for _, m := range mismatches {
		fmt.Fprintf(w, "warning:       %s\n", m)
	}
	if len(mismatches) > 0 {
		fmt.Fprintf(w, "warning:       %d tensors disagree with config.json; loading a head that uses them fails\n", len(mismatches))
	}
	if *noTensors {
		return nil
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tDTYPE\tSHAPE\tPARAMS")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%v\t%d\n", r.name, r.dtype, r.shape, r.n)
	}
	return tw.Flush()
}

// describeTokenizer reports vocab.txt and the casing decision the
// tokenizer makes for this folder (package tokenize), with its reason.
func describeTokenizer(dir string) string {
	if _, err := os.Stat(filepath.Join(dir, "vocab.txt")); errors.Is(err, os.ErrNotExist) {
		return "no vocab.txt"
	}
	tok, err := tokenize.LoadDir(dir)
	if err != nil {
		return "unusable: " + err.Error()
	}
	s := tok.Settings()
	casing := "cased (keeps case)"
	if s.DoLowerCase {
		casing = "uncased (lowercases input)"
	}
	return fmt.Sprintf("vocab.txt %d entries; %s (%s)", tok.Vocab().Len(), casing, s.LowerCaseReason)
}
