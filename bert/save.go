package bert

import (
	"encoding/json"
	"fmt"
	"github.com/medbert/medbert/internal/atomicfile"
	"os"
	"path/filepath"

	"github.com/medbert/medbert/safetensors"
)

// Save writes the model as a HF folder that transformers'
// AutoModelForXxx.from_pretrained loads: config.json (architectures set to
// the head's class) and model.safetensors with HF key names — "bert."
// prefixed for heads, unprefixed for a bare BertModel, the tied MLM decoder
// aliases omitted as save_pretrained does. Every file is written
// atomically. The tokenizer files are not the model's: their one writer is
// tokenize.(*Tokenizer).SaveDir (pipeline.Save calls both).
func (m *Model) Save(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("save: %w", err)
	}
	cfg := m.SaveConfig()
	b, err := json.Marshal(cfg)
	if err != nil {
		return fmt.Errorf("save config: %w", err)
	}
	if err := WriteFileAtomic(filepath.Join(dir, FileConfig), append(b, '\n')); err != nil {
		return err
	}
	var ts []safetensors.Tensor
	if m.quant != nil {
		ts = m.quantTensors() // an int8 folder (quant_io.go)
	} else {
		for _, p := range m.Params() {
			ts = append(ts, safetensors.F32(SaveKey(m.Head, p.Name), p.T.Shape, m.paramData(p.T)))
		}
	}
	if err := safetensors.Write(filepath.Join(dir, FileSafetensors), ts, map[string]string{"format": "pt"}); err != nil {
		return fmt.Errorf("save weights: %w", err)
	}
	return nil
}

// SaveConfig returns the config Save writes: architectures names the head's
// class, and a QA model gets num_labels 2 because HF builds qa_outputs with
// num_labels outputs.
func (m *Model) SaveConfig() *Config {
	cfg := m.Config.Clone()
	cfg.Architectures = []string{ClassName(m.Head)}
	if m.Head == HeadQA && cfg.NumLabels != 2 {
		cfg.SetNumLabels(2)
	}
	if cfg.ModelType == "" {
		cfg.ModelType = "bert"
	}
	cfg.Warnings = nil
	return cfg
}

// WriteFileAtomic writes data to path via a temporary file in the same
// folder, fsync and rename, so readers never see a partial file (the one
// implementation lives in safetensors.WriteAtomic).
func WriteFileAtomic(path string, data []byte) error {
	return atomicfile.WriteBytes(path, data)
}
