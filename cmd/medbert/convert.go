package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/medbert/medbert/bert"
	"github.com/medbert/medbert/pretrained"
	"github.com/medbert/medbert/safetensors"
	"github.com/medbert/medbert/torchfile"
)

func init() {
	register(&command{
		name:    "convert",
		summary: "rewrite a model folder's weights (pytorch_model.bin, sharded, ...) as model.safetensors",
		run:     runConvert,
	})
}

// convertCopyFiles are the non-weight files of a Hugging Face model folder
// that a converted folder needs to load and tokenize.
var convertCopyFiles = []string{
	"config.json", "vocab.txt", "tokenizer_config.json", "tokenizer.json",
	"special_tokens_map.json", "added_tokens.json",
}

// maxCopyBytes bounds a copied side file (tokenizer.json of large
// vocabularies is a few MB).
const maxCopyBytes = 512 << 20

const convertHelp = `Reads the weights of a Hugging Face BERT folder (model.safetensors,
pytorch_model.bin in the zip or pre-1.6 legacy torch.save format, or a
sharded *.index.json set of either) without executing any pickle, and
writes OUT/model.safetensors, which later loads are mmapped and instant.
config.json, vocab.txt and the tokenizer files are copied when present.

Like transformers' save_pretrained, the output drops what safetensors cannot
or need not hold, and the summary lists every change:
  - tied aliases that share storage with an earlier tensor
    (cls.predictions.decoder.weight/bias of masked-LM checkpoints);
  - the embeddings.position_ids / token_type_ids buffers of old checkpoints;
  - old LayerNorm names ".gamma"/".beta" are renamed ".weight"/".bias".
Floating-point tensors are cast to --dtype (round to nearest even);
integer tensors are kept. The input folder is never modified.
`

func runConvert(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("convert", "convert --model DIR --output DIR [--dtype f32|f16|bf16] [--force]", stderr)
	usage := fs.Usage
	fs.Usage = func() { usage(); fmt.Fprint(stderr, "\n"+convertHelp) }
	model := fs.String("model", "", "input model folder (required), or "+pretrained.Name+" to export the embedded pre-trained model")
	output := fs.String("output", "", "output folder, created if missing; must differ from --model (required)")
	dtype := fs.String("dtype", "f32", "dtype of floating-point tensors in the output: f32, f16 or bf16")
	force := fs.Bool("force", false, "replace an existing OUT/model.safetensors")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 || *model == "" || *output == "" {
		fs.Usage()
		return errors.New("want --model DIR and --output DIR and no other arguments")
	}
	target, ok := map[string]safetensors.DType{"f32": safetensors.DTypeF32, "f16": safetensors.DTypeF16, "bf16": safetensors.DTypeBF16}[strings.ToLower(*dtype)]
	if !ok {
		return fmt.Errorf("--dtype %q: want f32, f16 or bf16", *dtype)
	}
	in, cleanup, err := builtinModel(*model)
	if err != nil {
		return err
	}
	defer cleanup()
	*model = in
	outFile, err := checkOutputFolder(*model, *output, *force)
	if err != nil {
		return err
	}

	src, kind, err := torchfile.OpenWeights(*model)
	if err != nil {
		return err
	}
	defer src.Close()
	plan, err := planConversion(src, target)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*output, 0o755); err != nil {
		return fmt.Errorf("output folder: %w", err)
	}
	if err := safetensors.Write(outFile, plan.tensors, map[string]string{"format": "pt"}); err != nil {
		return err
	}
	var copied []string
	for _, name := range convertCopyFiles {
		ok, err := copySideFile(filepath.Join(*model, name), filepath.Join(*output, name))
		if err != nil {
			return err
		}
		if ok {
			copied = append(copied, name)
		}
	}

	fmt.Fprintf(stdout, "read %s (%d tensors)\n", kind, len(src.Names()))
	fmt.Fprintf(stdout, "wrote %s: %d tensors, %s\n", outFile, len(plan.tensors), plan.dtypeSummary())
	for _, n := range plan.notes {
		fmt.Fprintf(stdout, "  %s\n", n)
	}
	if len(copied) > 0 {
		fmt.Fprintf(stdout, "copied %s\n", strings.Join(copied, ", "))
	}
	if !slices.Contains(copied, "config.json") {
		fmt.Fprintln(stdout, "warning: the input folder has no config.json; the output cannot be loaded without one")
	}
	return nil
}

// checkOutputFolder is the shared check of convert and quantize: the
// output folder is not the input one, and its model.safetensors, returned,
// is only replaced with --force.
func checkOutputFolder(model, output string, force bool) (string, error) {
	if err := checkDistinctDirs(model, output); err != nil {
		return "", err
	}
	outFile := filepath.Join(output, bert.FileSafetensors)
	if _, err := os.Stat(outFile); err == nil && !force {
		return "", fmt.Errorf("%s already exists (use --force to replace it)", outFile)
	}
	return outFile, nil
}

// checkDistinctDirs refuses an output folder that is the input folder
// (by path or, when both exist, by identity: symlinks, bind mounts).
func checkDistinctDirs(in, out string) error {
	ia, err1 := filepath.Abs(in)
	oa, err2 := filepath.Abs(out)
	if err1 != nil || err2 != nil {
		return errors.Join(err1, err2)
	}
	same := ia == oa
	if err := bert.CheckFolder(in); err != nil {
		return err
	}
	if si, err := os.Stat(in); err != nil {
		return fmt.Errorf("model folder %s: %w", in, err)
	} else if so, err := os.Stat(out); err == nil {
		if !so.IsDir() {
			return fmt.Errorf("output %s exists and is not a directory", out)
		}
		same = same || os.SameFile(si, so)
	}
	if same {
		return errors.New("--output must be a different folder from --model (the input is never modified)")
	}
	return nil
}

// conversion is the list of tensors to write plus what was changed.
type conversion struct {
	tensors []safetensors.Tensor
	notes   []string
	dtypes  map[safetensors.DType]int
}

func (c *conversion) dtypeSummary() string {
	var parts []string
	for _, dt := range []safetensors.DType{"F32", "F16", "BF16", "F64", "I64", "I32", "I16", "I8", "U8", "BOOL"} {
		if n := c.dtypes[dt]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, dt))
		}
	}
	return strings.Join(parts, ", ")
}

// planConversion reads every tensor of src and decides its output name and
// dtype. Order is kept; safetensors.Write sorts the header itself.
func planConversion(src torchfile.Source, target safetensors.DType) (*conversion, error) {
	c := &conversion{dtypes: map[safetensors.DType]int{}}
	seen := map[string]string{} // output name -> input name
	renamed := 0
	for _, name := range src.Names() {
		if torchfile.IsBuffer(name) {
			c.notes = append(c.notes, fmt.Sprintf("dropped buffer %s (not a parameter)", name))
			continue
		}
		if orig, ok := aliasOf(src, name); ok {
			c.notes = append(c.notes, fmt.Sprintf("dropped %s: tied to %s (shares its storage)", name, orig))
			continue
		}
		dt, shape, data, err := rawTensor(src, name)
		if err != nil {
			return nil, err
		}
		out := torchfile.ModernName(name)
		if out != name {
			renamed++
		}
		if prev, dup := seen[out]; dup {
			return nil, fmt.Errorf("tensors %q and %q both map to %q", prev, name, out)
		}
		seen[out] = name
		data, dt, err = castFloat(data, dt, target)
		if err != nil {
			return nil, fmt.Errorf("tensor %q: %w", name, err)
		}
		c.tensors = append(c.tensors, safetensors.Tensor{Name: out, DType: dt, Shape: shape, Data: data})
		c.dtypes[dt]++
	}
	if renamed > 0 {
		c.notes = append(c.notes, fmt.Sprintf("renamed %d legacy LayerNorm keys (.gamma/.beta -> .weight/.bias)", renamed))
	}
	if len(c.tensors) == 0 {
		return nil, errors.New("the input has no tensors to write")
	}
	return c, nil
}

// aliasOf reports a tensor that exactly aliases an earlier one in the same
// PyTorch file (tied weights). safetensors inputs cannot alias.
func aliasOf(src torchfile.Source, name string) (string, bool) {
	switch s := src.(type) {
	case *torchfile.File:
		return s.Alias(name)
	case *torchfile.Sharded:
		if sh, _, err := s.Shard(name); err == nil {
			return aliasOf(sh, name)
		}
	}
	return "", false
}

// rawTensor returns a tensor's dtype, shape and contiguous little-endian
// bytes from any of the sources OpenWeights returns.
func rawTensor(src torchfile.Source, name string) (safetensors.DType, []int, []byte, error) {
	switch s := src.(type) {
	case *torchfile.File:
		dt, shape, data, err := s.Raw(name)
		return safetensors.DType(dt), shape, data, err
	case *safetensors.File:
		info, _ := s.Info(name)
		data, err := s.Bytes(name)
		return info.DType, info.Shape, data, err
	case *torchfile.Sharded:
		sh, _, err := s.Shard(name)
		if err != nil {
			return "", nil, nil, err
		}
		return rawTensor(sh, name)
	}
	return "", nil, nil, fmt.Errorf("unsupported weight source %T", src)
}

func isFloat(dt safetensors.DType) bool {
	switch dt {
	case safetensors.DTypeF32, safetensors.DTypeF16, safetensors.DTypeBF16, safetensors.DTypeF64:
		return true
	}
	return false
}

// castFloat converts floating-point data to target through float32
// (F16/BF16 widen exactly; narrowing rounds to nearest even, as torch's
// .half()/.bfloat16()). Same-dtype and integer data pass through untouched.
func castFloat(data []byte, dt, target safetensors.DType) ([]byte, safetensors.DType, error) {
	if !isFloat(dt) || dt == target {
		return data, dt, nil
	}
	if !dt.Known() {
		return nil, "", fmt.Errorf("dtype %s cannot be written to safetensors", dt)
	}
	f := make([]float32, len(data)/dt.Size())
	if err := safetensors.DecodeFloat32(f, data, dt); err != nil {
		return nil, "", err
	}
	var t safetensors.Tensor
	switch target {
	case safetensors.DTypeF32:
		t = safetensors.F32("", nil, f)
	case safetensors.DTypeF16:
		// float16 tops out at 65504: a larger weight would become ±inf and
		// poison every output, so refuse rather than write it.
		var over int
		var worst float64
		for _, v := range f {
			if a := math.Abs(float64(v)); a >= 65520 && !math.IsInf(a, 0) { // rounds to inf
				over++
				worst = max(worst, a)
			}
		}
		if over > 0 {
			return nil, "", fmt.Errorf("%d values would overflow float16 to infinity (largest |x| = %g; float16 holds up to 65504); use --dtype bf16 or f32", over, worst)
		}
		t = safetensors.F16FromF32("", nil, f)
	case safetensors.DTypeBF16:
		t = safetensors.BF16FromF32("", nil, f)
	}
	return t.Data, target, nil
}

// copySideFile copies a config/tokenizer file atomically; ok is false when
// the source does not exist.
func copySideFile(src, dst string) (ok bool, err error) {
	st, err := os.Stat(src)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !st.Mode().IsRegular() || st.Size() > maxCopyBytes {
		return false, fmt.Errorf("%s: not a regular file of plausible size", src)
	}
	b, err := os.ReadFile(src)
	if err != nil {
		return false, err
	}
	if err := bert.WriteFileAtomic(dst, b); err != nil {
		return false, err
	}
	return true, nil
}
