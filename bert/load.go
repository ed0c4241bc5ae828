package bert

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/medbert/medbert/safetensors"
	"github.com/medbert/medbert/torchfile"
)

// WeightSource is a checkpoint's tensors by name: a safetensors file, a
// PyTorch pytorch_model.bin, or a sharded set of either.
type WeightSource interface {
	Names() []string
	Float32(name string) ([]float32, []int, error)
	Close() error
}

// Weight file names in a HF model folder, in the order Load tries them
// (transformers' from_pretrained prefers safetensors too).
const (
	FileConfig           = "config.json"
	FileSafetensors      = "model.safetensors"
	FileTorch            = "pytorch_model.bin"
	FileSafetensorsIndex = "model.safetensors.index.json"
	FileTorchIndex       = "pytorch_model.bin.index.json"
)

// LoadOptions tune Load.
type LoadOptions struct {
	// Head to build; "" picks the one config.json "architectures" names.
	Head string
	// Seed for weights the checkpoint lacks (new heads).
	Seed uint64
}

// Load reads a HF model folder: config.json plus model.safetensors, else
// pytorch_model.bin, else a sharded model.safetensors.index.json /
// pytorch_model.bin.index.json. Keys with or without the "bert." prefix and
// legacy LayerNorm gamma/beta names are accepted; the report lists unused
// checkpoint keys and parameters that were missing and got fresh values.
// A folder whose config.json has a quantization_config (written by Save of
// a quantized model, `medbert quantize`) loads as an int8 model.
func Load(dir string, opt LoadOptions) (*Model, *LoadReport, error) {
	if err := CheckFolder(dir); err != nil {
		return nil, nil, err
	}
	cfgPath := filepath.Join(dir, FileConfig)
	cfg, err := LoadConfig(cfgPath)
	if err != nil {
		return nil, nil, err
	}
	return load(cfg, cfgPath, func() (WeightSource, string, error) { return OpenWeights(dir) }, opt)
}

// LoadFS is Load for a model folder served by fsys (an encrypted folder
// decrypted in memory, say), named dir in errors: config.json and
// model.safetensors, read whole into memory and never written anywhere.
func LoadFS(fsys fs.ReadFileFS, dir string, opt LoadOptions) (*Model, *LoadReport, error) {
	cfgPath := filepath.Join(dir, FileConfig)
	b, err := fsys.ReadFile(FileConfig)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", cfgPath, err)
	}
	cfg, err := ParseConfig(b, cfgPath)
	if err != nil {
		return nil, nil, err
	}
	return load(cfg, cfgPath, func() (WeightSource, string, error) {
		name := filepath.Join(dir, FileSafetensors)
		buf, err := fsys.ReadFile(FileSafetensors)
		if err != nil {
			return nil, "", fmt.Errorf("%s: %w (such a folder must hold model.safetensors: medbert convert first)", name, err)
		}
		f, err := safetensors.Parse(buf, name)
		return f, name, err
	}, opt)
}

// load builds the model of cfg (read from cfgPath) and fills it from the
// weights open returns.
func load(cfg *Config, cfgPath string, open func() (WeightSource, string, error), opt LoadOptions) (*Model, *LoadReport, error) {
	head := opt.Head
	if head == "" {
		head = DefaultHead(cfg)
	}
	if err := CheckHead(head); err != nil {
		return nil, nil, err
	}
	// HF unties the MLM decoder from the word embeddings only when asked;
	// this engine always ties it, so an untied config would run different
	// numbers without a word.
	if v, ok := cfg.Extra["tie_word_embeddings"]; ok && head == HeadMLM && strings.TrimSpace(string(v)) == "false" {
		return nil, nil, fmt.Errorf("%s: field \"tie_word_embeddings\": false (an untied masked-LM decoder) is not supported", cfgPath)
	}
	qc, err := quantConfigOf(cfg, cfgPath)
	if err != nil {
		return nil, nil, err
	}
	src, name, err := open()
	if err != nil {
		return nil, nil, err
	}
	defer src.Close()
	m := build(cfg, head)
	var rep *LoadReport
	if qc != nil {
		rep, err = m.loadQuantWeights(src, name, qc) // an int8 folder (quant_io.go)
	} else {
		rep, err = m.LoadWeights(src, name, opt.Seed)
	}
	if err != nil {
		return nil, nil, err
	}
	return m, rep, nil
}

// CheckFolder returns a user-facing error unless dir is an existing
// directory ("model folder X does not exist", "... is a file, not a
// folder"), so commands fail before touching any file in it.
func CheckFolder(dir string) error {
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("model folder %s does not exist", dir)
	case err != nil:
		return fmt.Errorf("model folder %s: %w", dir, err)
	case !st.IsDir():
		return fmt.Errorf("model folder %s: not a directory (pass the folder holding config.json and the weights)", dir)
	}
	return nil
}

// OpenWeights opens the weight files of a model folder in Load's order
// (model.safetensors, pytorch_model.bin, then their sharded .index.json
// forms; the lookup and the TF/Flax-only error live in torchfile). It
// returns the source and the path it opened (for messages).
func OpenWeights(dir string) (WeightSource, string, error) {
	if err := CheckFolder(dir); err != nil {
		return nil, "", err
	}
	// FindWeights' errors already name the folder and what it holds.
	p, _, err := torchfile.FindWeights(dir)
	if err != nil {
		return nil, "", err
	}
	src, _, err := torchfile.OpenWeights(dir)
	if err != nil {
		return nil, "", err
	}
	return src, p, nil
}

// LoadWeights copies the source's tensors into the model's parameters
// (file names the source in errors and the report). Parameters the source
// lacks are initialised as in New from a generator seeded with seed.
func (m *Model) LoadWeights(src WeightSource, file string, seed uint64) (*LoadReport, error) {
	rep := &LoadReport{Source: file}
	names := src.Names()
	ix := indexKeys(names)
	for _, n := range names {
		if CanonicalKey(n) != n {
			rep.Renamed++
		}
	}
	params := m.Params()
	want := make(map[string]bool, len(params))
	for _, p := range params {
		want[p.Name] = true
	}
	unused := append([]string(nil), ix.dups...)
	for c, n := range ix.byCanon {
		if want[c] {
			continue
		}
		switch {
		case c == keyDecoderWeight && m.MLM != nil:
			rep.Tied = append(rep.Tied, n+" -> "+keyWordEmb)
		case c == keyDecoderBias && m.MLM != nil:
			rep.Tied = append(rep.Tied, n+" -> "+keyMLMBias)
		default:
			unused = append(unused, n)
		}
	}
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	found := 0
	for _, p := range params {
		n, ok := ix.byCanon[p.Name]
		if !ok && p.Name == keyMLMBias {
			// Some exports keep only the decoder's alias of the bias.
			n, ok = ix.byCanon[keyDecoderBias]
		}
		if !ok {
			rep.Missing = append(rep.Missing, p.Name)
			rep.Initialized = append(rep.Initialized, p.Name)
			initParam(m.Config, p, rng)
			continue
		}
		data, shape, err := src.Float32(n)
		if err != nil {
			return nil, fmt.Errorf("%s: tensor %q: %w", file, n, err)
		}
		if !shapeEq(shape, p.T.Shape) {
			return nil, &ShapeError{File: file, Key: n, Expected: append([]int(nil), p.T.Shape...), Got: shape}
		}
		if len(data) != p.T.Size() {
			return nil, fmt.Errorf("%s: tensor %q: %d values for shape %v", file, n, len(data), shape)
		}
		if err := safetensors.CheckFinite(n, data); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		// Take ownership of the freshly decoded slice: one resident copy.
		p.T.Data = data
		found++
	}
	if found == 0 {
		return nil, fmt.Errorf("%s: no BERT weights found (%d tensors, none matching; first: %s)", file, len(names), firstOr(names))
	}
	sort.Strings(unused)
	rep.Unused = unused
	sort.Strings(rep.Tied)
	return rep, nil
}

func firstOr(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return s[0]
}

// CopyWeightsFrom reads the weights of the model folder dir and copies them
// into m's existing parameter tensors (same names and shapes required), so
// slices held elsewhere (an optimizer's views of Data) stay valid: resume
// and load_best_model_at_end reload a checkpoint this way.
func (m *Model) CopyWeightsFrom(dir string) error {
	src, name, err := OpenWeights(dir)
	if err != nil {
		return err
	}
	defer src.Close()
	byCanon := map[string]string{}
	for _, n := range src.Names() {
		byCanon[CanonicalKey(n)] = n
	}
	for _, p := range m.Params() {
		n, ok := byCanon[p.Name]
		if !ok {
			return fmt.Errorf("%s: parameter %s is missing", filepath.Base(name), p.Name)
		}
		data, shape, err := src.Float32(n)
		if err != nil {
			return fmt.Errorf("%s: %s: %w", filepath.Base(name), n, err)
		}
		if len(data) != len(p.T.Data) || len(shape) != len(p.T.Shape) {
			return fmt.Errorf("%s: %s has shape %v, the model wants %v", filepath.Base(name), n, shape, p.T.Shape)
		}
		copy(p.T.Data, data)
	}
	return nil
}

// LoadTrunk fills m (built with New for a new task or label set) from the
// checkpoint folder dir, except the checkpoint's own task head — keys under
// the head's prefix ("classifier.", "qa_outputs.") — whose shape or labels
// no longer fit: the trunk is the checkpoint's, the head stays freshly
// initialised (reported as missing, as HF reports a new head).
func (m *Model) LoadTrunk(dir string, seed uint64) (*LoadReport, error) {
	src, name, err := OpenWeights(dir)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	prefix := map[string]string{HeadSeqCls: "classifier.", HeadTokenCls: "classifier.", HeadQA: "qa_outputs."}[m.Head]
	return m.LoadWeights(withoutPrefix{src, prefix}, name, seed)
}

// withoutPrefix hides a checkpoint's keys with a prefix ("" hides none).
type withoutPrefix struct {
	WeightSource
	prefix string
}

func (w withoutPrefix) Names() []string {
	var out []string
	for _, n := range w.WeightSource.Names() {
		if w.prefix == "" || !strings.HasPrefix(n, w.prefix) {
			out = append(out, n)
		}
	}
	return out
}
