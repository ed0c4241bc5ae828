// Package shard splits a batch-prediction input into contiguous shards for
// parallel workers (a Kubernetes Indexed Job: one shard per completion
// index) and merges their outputs back, deterministically.
//
// Shards are made of whole batches, so every input is predicted in the
// same batch as in an unsharded run and the merged output is identical to
// it byte for byte. Each shard's output has a manifest beside it
// (OUTPUT.shard.json) naming its index, the shard count, the input it was
// cut from (by SHA-256) and its rows; Merge checks that the parts cover
// the input exactly once before it writes anything.
package shard

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/medbert/medbert/internal/atomicfile"
)

// Range returns the rows [lo, hi) of shard index of count over n inputs
// read in batches of batch: batches are dealt out in contiguous runs, the
// shards differ by at most one batch.
func Range(n, batch, index, count int) (lo, hi int) {
	nb := (n + batch - 1) / batch
	b0, b1 := index*nb/count, (index+1)*nb/count
	return min(b0*batch, n), min(b1*batch, n)
}

// Check validates --shard-index/--shard-count.
func Check(index, count int) error {
	if count < 1 {
		return fmt.Errorf("--shard-count must be >= 1, got %d", count)
	}
	if index < 0 || index >= count {
		return fmt.Errorf("--shard-index %d must be in [0, %d)", index, count)
	}
	return nil
}

// Manifest describes one shard's output.
type Manifest struct {
	Index       int    `json:"index"`
	Count       int    `json:"count"`
	InputSHA256 string `json:"input_sha256"`
	Rows        [2]int `json:"rows"` // [lo, hi) of the input's examples
	Total       int    `json:"total"`
}

// ManifestPath is where the manifest of output lives.
func ManifestPath(output string) string { return output + ".shard.json" }

// FileSHA256 is the hex SHA-256 of a file.
func FileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// WriteManifest records m beside output.
func WriteManifest(output string, m Manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteBytes(ManifestPath(output), append(b, '\n'))
}

// Merge concatenates the shard outputs parts in shard order into out,
// atomically, after checking with their manifests that they are the shards
// 0..count-1 of one input, each once, covering every row.
func Merge(out string, parts []string) error {
	if len(parts) == 0 {
		return errors.New("merge: no shard outputs given")
	}
	type part struct {
		path string
		m    Manifest
	}
	ps := make([]part, len(parts))
	for i, p := range parts {
		b, err := os.ReadFile(ManifestPath(p))
		if err != nil {
			return fmt.Errorf("merge: %s has no manifest (%s): %w", p, ManifestPath(p), err)
		}
		if err := json.Unmarshal(b, &ps[i].m); err != nil {
			return fmt.Errorf("merge: %s: %w", ManifestPath(p), err)
		}
		ps[i].path = p
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].m.Index < ps[j].m.Index })
	first := ps[0].m
	if len(ps) != first.Count {
		return fmt.Errorf("merge: %d shard outputs for a split into %d", len(ps), first.Count)
	}
	next := 0
	for i, p := range ps {
		switch {
		case p.m.Count != first.Count || p.m.InputSHA256 != first.InputSHA256 || p.m.Total != first.Total:
			return fmt.Errorf("merge: %s was cut from another input or split than %s", p.path, ps[0].path)
		case p.m.Index != i:
			return fmt.Errorf("merge: shard %d is missing or given twice", i)
		case p.m.Rows[0] != next:
			return fmt.Errorf("merge: %s starts at row %d, want %d", p.path, p.m.Rows[0], next)
		}
		next = p.m.Rows[1]
	}
	if next != first.Total {
		return fmt.Errorf("merge: the shards cover %d of %d rows", next, first.Total)
	}
	return atomicfile.Write(out, func(w io.Writer) error {
		for _, p := range ps {
			f, err := os.Open(p.path)
			if err != nil {
				return err
			}
			_, err = io.Copy(w, f)
			f.Close()
			if err != nil {
				return fmt.Errorf("%s: %w", p.path, err)
			}
		}
		return nil
	})
}
