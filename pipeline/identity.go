package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/medbert/medbert/bert"
)

// Identity is the hex SHA-256 of a model folder's config.json followed by
// its weight files, in the order Load reads them (model.safetensors, else
// pytorch_model.bin, else the shard index and its shards by name). Two
// folders with the same identity compute the same function (the tokenizer
// files are not part of it); audit records name the model by it.
func Identity(dir string) (string, error) {
	files, err := weightFiles(dir)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, name := range append([]string{bert.FileConfig}, files...) {
		if err := hashFile(h, filepath.Join(dir, name)); err != nil {
			return "", fmt.Errorf("model identity: %w", err)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func hashFile(h io.Writer, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(h, f)
	return err
}

// weightFiles lists the weight files of a folder relative to it.
func weightFiles(dir string) ([]string, error) {
	for _, name := range []string{bert.FileSafetensors, bert.FileTorch} {
		if fi, err := os.Stat(filepath.Join(dir, name)); err == nil && fi.Mode().IsRegular() {
			return []string{name}, nil
		}
	}
	for _, index := range []string{bert.FileSafetensorsIndex, bert.FileTorchIndex} {
		b, err := os.ReadFile(filepath.Join(dir, index))
		if err != nil {
			continue
		}
		var idx struct {
			WeightMap map[string]string `json:"weight_map"`
		}
		if err := json.Unmarshal(b, &idx); err != nil {
			return nil, fmt.Errorf("%s: %w", index, err)
		}
		seen := map[string]bool{}
		var shards []string
		for _, f := range idx.WeightMap {
			if !seen[f] {
				seen[f] = true
				shards = append(shards, filepath.Base(f))
			}
		}
		sort.Strings(shards)
		return append([]string{index}, shards...), nil
	}
	return nil, fmt.Errorf("%s: no weight file (%s, %s or a shard index)", dir, bert.FileSafetensors, bert.FileTorch)
}
