package torchfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/medbert/medbert/safetensors"
)

// Kind is the weight-file layout found in a model folder.
type Kind int

const (
	SafeTensors      Kind = iota + 1 // model.safetensors
	TorchBin                         // pytorch_model.bin
	SafeTensorsIndex                 // model.safetensors.index.json + shards
	TorchBinIndex                    // pytorch_model.bin.index.json + shards
)

func (k Kind) String() string {
	switch k {
	case SafeTensors:
		return "safetensors"
	case TorchBin:
		return "pytorch_model.bin"
	case SafeTensorsIndex:
		return "sharded safetensors"
	case TorchBinIndex:
		return "sharded pytorch_model.bin"
	}
	return "unknown"
}

// weightFiles is the lookup order: a single file before an index, and
// safetensors (mmapped, no pickle at all) before pickle checkpoints.
var weightFiles = []struct {
	name string
	kind Kind
}{
	{"model.safetensors", SafeTensors},
	{"pytorch_model.bin", TorchBin},
	{"model.safetensors.index.json", SafeTensorsIndex},
	{"pytorch_model.bin.index.json", TorchBinIndex},
}

// Weights of other frameworks: recognised only to give a clear error.
var foreignWeights = []string{"tf_model.h5", "flax_model.msgpack", "model.ckpt.index", "tf_model.h5.index.json", "flax_model.msgpack.index.json"}

// ErrNoWeights is wrapped by FindWeights when a folder has no usable file.
var ErrNoWeights = errors.New("has no weights")

// FindWeights picks the weight file of a Hugging Face model folder:
// model.safetensors, else pytorch_model.bin, else
// model.safetensors.index.json, else pytorch_model.bin.index.json. A
// folder holding only TensorFlow or Flax weights gets an error saying so.
func FindWeights(dir string) (path string, kind Kind, err error) {
	for _, w := range weightFiles {
		p := filepath.Join(dir, w.name)
		st, err := os.Stat(p)
		if err == nil && st.Mode().IsRegular() {
			return p, w.kind, nil
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", 0, fmt.Errorf("torchfile: %w", err)
		}
	}
	for _, f := range foreignWeights {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			return "", 0, fmt.Errorf("torchfile: %s %w medbert can read: it holds only %s, and TensorFlow/Flax weights are not supported; convert it once with Python transformers (from_pretrained(..., from_tf=True or from_flax=True) then save_pretrained)", dir, ErrNoWeights, f)
		}
	}
	return "", 0, fmt.Errorf("torchfile: %s %w (looked for model.safetensors, pytorch_model.bin and their .index.json variants)", dir, ErrNoWeights)
}

// OpenWeights opens the weights FindWeights picks in dir as one Source:
// *safetensors.File, *File or *Sharded. Callers needing dtype-level access
// type-switch on the result.
func OpenWeights(dir string) (Source, Kind, error) {
	p, kind, err := FindWeights(dir)
	if err != nil {
		return nil, 0, err
	}
	var src Source
	switch kind {
	case SafeTensors:
		src, err = safetensors.Open(p)
	case TorchBin:
		src, err = Open(p)
	case SafeTensorsIndex:
		src, err = OpenShardedWith(p, func(p string) (Source, error) { return safetensors.Open(p) })
	case TorchBinIndex:
		src, err = OpenSharded(p)
	}
	if err != nil {
		return nil, 0, err
	}
	return src, kind, nil
}
