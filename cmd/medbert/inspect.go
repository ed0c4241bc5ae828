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
	"github.com/medbert/medbert/pretrained"
	"github.com/medbert/medbert/safetensors"
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
	fs := newFlags("inspect", "inspect [--no-tensors] DIR  (DIR may be "+pretrained.Name+", the embedded pre-trained model)", stderr)
	noTensors := fs.Bool("no-tensors", false, "omit the per-tensor table")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("want exactly one model folder")
	}
	dir, cleanup, err := builtinModel(fs.Arg(0))
	if err != nil {
		return err
	}
	defer cleanup()
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
	shown := dir
	if dir != fs.Arg(0) {
		shown = fs.Arg(0) + " (embedded in the binary; its card is README.md in the folder `medbert convert --model " + fs.Arg(0) + " --output DIR` writes)"
	}
	writeConfigSummary(stdout, shown, file, cfg)
	sum, err := summarizeTensors(src, file, cfg)
	if err != nil {
		return err
	}
	sum.write(stdout, dir)
	if *noTensors {
		return nil
	}
	fmt.Fprintln(stdout)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tDTYPE\tSHAPE\tPARAMS")
	for _, r := range sum.rows {
		fmt.Fprintf(tw, "%s\t%s\t%v\t%d\n", r.name, r.dtype, r.shape, r.n)
	}
	return tw.Flush()
}

func writeConfigSummary(w io.Writer, dir, file string, cfg *bert.Config) {
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
}

// tensorRow is one line of the per-tensor table.
type tensorRow struct {
	name, dtype string
	shape       []int
	n           int
}

// tensorSummary is what inspect reports about a checkpoint's tensors.
type tensorSummary struct {
	rows       []tensorRow
	dtypes     map[string]int
	total      int
	trunk      int
	heads      map[string]bool
	mismatches []string
	nonFinite  []string // NaN/Inf in float tensors (safetensors.CheckFinite)
}

// summarizeTensors counts parameters by part, dtypes and head weights,
// and checks every shape against the config: a checkpoint that disagrees
// fails to load, so say which tensor and why here rather than only at
// forward time.
func summarizeTensors(src bert.WeightSource, file string, cfg *bert.Config) (*tensorSummary, error) {
	names := src.Names()
	sort.Strings(names)
	s := &tensorSummary{dtypes: map[string]int{}, heads: map[string]bool{}}
	expect := bert.ExpectedShapes(cfg)
	for _, n := range names {
		dt, shape, ok := bert.TensorInfo(src, n)
		if !ok {
			_, sh, err := src.Float32(n)
			if err != nil {
				return nil, fmt.Errorf("%s: tensor %q: %w", file, n, err)
			}
			dt, shape = "?", sh
		}
		if err := checkFinite(src, n, dt); err != nil {
			s.nonFinite = append(s.nonFinite, err.Error())
		}
		c := 1
		for _, d := range shape {
			c *= d
		}
		s.rows = append(s.rows, tensorRow{n, dt, shape, c})
		s.dtypes[dt]++
		k := bert.CanonicalKey(n)
		if want, ok := expect[k]; ok && !slices.Equal(want, shape) {
			s.mismatches = append(s.mismatches, fmt.Sprintf("tensor %q has shape %v, but config.json needs %v", n, shape, want))
		}
		s.count(k, c)
	}
	return s, nil
}

// count adds a tensor of c values with canonical key k to the totals.
func (s *tensorSummary) count(k string, c int) {
	switch {
	case strings.HasSuffix(k, "position_ids"):
		return // a buffer, not a parameter
	case strings.HasPrefix(k, "bert."):
		s.trunk += c
	case strings.HasPrefix(k, "classifier."):
		s.heads["classifier (seqcls/tokencls)"] = true
	case strings.HasPrefix(k, "qa_outputs."):
		s.heads["qa_outputs (qa)"] = true
	case strings.HasPrefix(k, "cls.predictions.decoder."):
		return // tied alias of the word embeddings / MLM bias
	case strings.HasPrefix(k, "cls.predictions."):
		s.heads["cls.predictions (mlm)"] = true
	case strings.HasPrefix(k, "cls.seq_relationship."):
		s.heads["cls.seq_relationship (next-sentence, unused)"] = true
	}
	s.total += c
}

func (s *tensorSummary) write(w io.Writer, dir string) {
	var dts []string
	for d, c := range s.dtypes {
		dts = append(dts, fmt.Sprintf("%s ×%d", d, c))
	}
	sort.Strings(dts)
	var hs []string
	for h := range s.heads {
		hs = append(hs, h)
	}
	sort.Strings(hs)
	if len(hs) == 0 {
		hs = []string{"none (bare BertModel)"}
	}
	fmt.Fprintf(w, "parameters:    %d (%s) in %d tensors; trunk %d, heads %d\n", s.total, humanCount(s.total), len(s.rows), s.trunk, s.total-s.trunk)
	fmt.Fprintf(w, "dtypes:        %s\n", strings.Join(dts, ", "))
	fmt.Fprintf(w, "head weights:  %s\n", strings.Join(hs, ", "))
	fmt.Fprintf(w, "tokenizer:     %s\n", describeTokenizer(dir))
	for _, m := range s.mismatches {
		fmt.Fprintf(w, "warning:       %s\n", m)
	}
	if len(s.mismatches) > 0 {
		fmt.Fprintf(w, "warning:       %d tensors disagree with config.json; loading a head that uses them fails\n", len(s.mismatches))
	}
	for _, m := range s.nonFinite {
		fmt.Fprintf(w, "warning:       %s\n", m)
	}
	if len(s.nonFinite) > 0 {
		fmt.Fprintf(w, "warning:       %d tensors hold NaN or infinite values; loading the model fails\n", len(s.nonFinite))
	}
}

// checkFinite reads a floating-point tensor and checks it for NaN and
// ±Inf; other dtypes (int8, ids) are not checked.
func checkFinite(src bert.WeightSource, name, dtype string) error {
	switch strings.ToUpper(dtype) {
	case "F32", "F16", "BF16", "F64", "?":
	default:
		return nil
	}
	data, _, err := src.Float32(name)
	if err != nil {
		return nil // reported by the load itself
	}
	return safetensors.CheckFinite(name, data)
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
