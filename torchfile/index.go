package torchfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// Source is a set of named weights: the method set shared by *File,
// *safetensors.File and *Sharded, which is what bert loads from.
type Source interface {
	Names() []string
	Float32(name string) ([]float32, []int, error)
	Close() error
}

// Index is a Hugging Face sharded-checkpoint index
// (model.safetensors.index.json or pytorch_model.bin.index.json):
//
//	{"metadata": {"total_size": N}, "weight_map": {"tensor name": "shard file", ...}}
type Index struct {
	Path      string            // the index file
	WeightMap map[string]string // tensor name -> shard file name (in the index's folder)
}

// maxIndexBytes bounds an index file (a 400-shard index is ~100 KB).
const maxIndexBytes = 64 << 20

// ReadIndex parses and validates an index file. Shard names must be plain
// file names in the index's folder: a path with separators or ".." is
// refused, so an index cannot make a loader open files elsewhere.
func ReadIndex(path string) (*Index, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("torchfile: %w", err)
	}
	if st.Size() > maxIndexBytes {
		return nil, fmt.Errorf("torchfile: %s: index of %d bytes is implausibly large", path, st.Size())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("torchfile: %w", err)
	}
	var raw struct {
		WeightMap map[string]string `json:"weight_map"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("torchfile: %s: invalid index JSON: %w", path, err)
	}
	if len(raw.WeightMap) == 0 {
		return nil, fmt.Errorf("torchfile: %s: index has no \"weight_map\" entries", path)
	}
	for name, shard := range raw.WeightMap {
		if shard == "" || shard != filepath.Base(shard) || shard == "." || shard == ".." || strings.ContainsAny(shard, `/\`) {
			return nil, fmt.Errorf("torchfile: %s: weight_map[%q] = %q is not a file name in the index's folder", path, name, shard)
		}
	}
	return &Index{Path: path, WeightMap: raw.WeightMap}, nil
}

// Shards returns the distinct shard file names, sorted.
func (ix *Index) Shards() []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range ix.WeightMap {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

// Sharded is a Source spread over several shard files, routed by an Index.
type Sharded struct {
	ix     *Index
	names  []string
	shards map[string]Source // shard file name -> opened shard
}

// OpenSharded opens a pytorch_model.bin.index.json: every shard is opened
// with Open (only the pickle is parsed; data stays on disk).
func OpenSharded(indexPath string) (*Sharded, error) {
	return OpenShardedWith(indexPath, func(p string) (Source, error) { return Open(p) })
}

// OpenShardedWith opens the shards of an index with open (for example a
// wrapper around safetensors.Open) and checks that each shard holds the
// tensors the index assigns to it.
func OpenShardedWith(indexPath string, open func(path string) (Source, error)) (*Sharded, error) {
	ix, err := ReadIndex(indexPath)
	if err != nil {
		return nil, err
	}
	s := &Sharded{ix: ix, shards: map[string]Source{}}
	dir := filepath.Dir(indexPath)
	for _, name := range ix.Shards() {
		src, err := open(filepath.Join(dir, name))
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("torchfile: %s: shard %s: %w", indexPath, name, err)
		}
		s.shards[name] = src
		have := map[string]bool{}
		for _, n := range src.Names() {
			have[n] = true
		}
		for t, sh := range ix.WeightMap {
			if sh == name && !have[t] {
				s.Close()
				return nil, fmt.Errorf("torchfile: %s: index places %q in %s but the shard does not hold it", indexPath, t, name)
			}
		}
	}
	for t := range ix.WeightMap {
		s.names = append(s.names, t)
	}
	sort.Strings(s.names)
	return s, nil
}

// Names returns the tensor names of the index, sorted.
func (s *Sharded) Names() []string { return slices.Clone(s.names) }

// Shard returns the opened shard holding name (type-assert it to *File or
// *safetensors.File for dtype-level access) and the shard's file name.
func (s *Sharded) Shard(name string) (Source, string, error) {
	sh, ok := s.ix.WeightMap[name]
	if !ok {
		return nil, "", fmt.Errorf("torchfile: %s: no tensor %q in the index", s.ix.Path, name)
	}
	return s.shards[sh], sh, nil
}

// Float32 reads name from its shard.
func (s *Sharded) Float32(name string) ([]float32, []int, error) {
	src, _, err := s.Shard(name)
	if err != nil {
		return nil, nil, err
	}
	return src.Float32(name)
}

// Close closes every shard.
func (s *Sharded) Close() error {
	var errs []error
	for _, src := range s.shards {
		errs = append(errs, src.Close())
	}
	s.shards = map[string]Source{}
	return errors.Join(errs...)
}
