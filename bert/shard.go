package bert

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// shardIndex is HF's *.index.json for sharded checkpoints.
type shardIndex struct {
	WeightMap map[string]string `json:"weight_map"`
}

// sharded routes each key to the shard file the index names.
type sharded struct {
	index  string
	names  []string
	where  map[string]WeightSource
	shards []WeightSource
}

// openSharded opens model.safetensors.index.json or
// pytorch_model.bin.index.json and every shard it lists.
func openSharded(path string) (WeightSource, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var ix shardIndex
	if err := json.Unmarshal(b, &ix); err != nil {
		return nil, fmt.Errorf("%s: invalid index JSON: %v", path, err)
	}
	if len(ix.WeightMap) == 0 {
		return nil, fmt.Errorf("%s: field \"weight_map\" is missing or empty", path)
	}
	dir := filepath.Dir(path)
	s := &sharded{index: path, where: make(map[string]WeightSource, len(ix.WeightMap))}
	open := map[string]WeightSource{}
	for key, file := range ix.WeightMap {
		// Shards must sit in the folder itself: refuse path tricks.
		if file == "" || file != filepath.Base(file) || file == "." || file == ".." || strings.ContainsAny(file, `/\`) {
			s.Close()
			return nil, fmt.Errorf("%s: weight_map entry %q names %q, which is not a file in the model folder", path, key, file)
		}
		src, ok := open[file]
		if !ok {
			p := filepath.Join(dir, file)
			if strings.HasSuffix(file, ".safetensors") {
				src, err = openSafetensors(p)
			} else {
				src, err = openTorch(p)
			}
			if err != nil {
				s.Close()
				return nil, fmt.Errorf("%s: shard %s: %w", path, file, err)
			}
			open[file] = src
			s.shards = append(s.shards, src)
		}
		s.where[key] = src
	}
	// The index must not promise tensors its shards lack.
	for file, src := range open {
		have := map[string]bool{}
		for _, n := range src.Names() {
			have[n] = true
		}
		for key, f := range ix.WeightMap {
			if f == file && !have[key] {
				s.Close()
				return nil, fmt.Errorf("%s: weight_map puts %q in %s, which does not contain it", path, key, file)
			}
		}
	}
	for k := range s.where {
		s.names = append(s.names, k)
	}
	sort.Strings(s.names)
	return s, nil
}

func (s *sharded) Names() []string { return append([]string(nil), s.names...) }

func (s *sharded) Float32(name string) ([]float32, []int, error) {
	src, ok := s.where[name]
	if !ok {
		return nil, nil, fmt.Errorf("%s: no tensor %q", s.index, name)
	}
	return src.Float32(name)
}

func (s *sharded) Close() error {
	var first error
	for _, src := range s.shards {
		if err := src.Close(); err != nil && first == nil {
			first = err
		}
	}
	s.shards = nil
	return first
}
