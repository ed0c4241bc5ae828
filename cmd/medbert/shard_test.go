package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestShardedPredictMergesToUnsharded: three shards of a file, predicted
// separately and merged, equal the unsharded run byte for byte; a missing
// or foreign shard is refused.
func TestShardedPredictMergesToUnsharded(t *testing.T) {
	model := tinyModelDir(t)
	work := t.TempDir()
	in := filepath.Join(work, "big.jsonl")
	var b bytes.Buffer
	for i := range 23 {
		fmt.Fprintf(&b, "{\"id\": %d, \"text\": \"note %d: %s\"}\n", i, i, strings.Repeat("a b c ", 1+i%7))
	}
	if err := os.WriteFile(in, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	all := filepath.Join(work, "all.jsonl")
	if _, stderr, code := runCLI(t, "predict", "--model", model, "--in", in, "--out", all, "--batch-size", "4"); code != 0 {
		t.Fatalf("unsharded: %s", stderr)
	}
	var parts []string
	for i := 2; i >= 0; i-- { // any order on the command line
		part := filepath.Join(work, fmt.Sprintf("part-%d.jsonl", i))
		if _, stderr, code := runCLI(t, "predict", "--model", model, "--in", in, "--out", part, "--batch-size", "4",
			"--shard-index", fmt.Sprint(i), "--shard-count", "3"); code != 0 {
			t.Fatalf("shard %d: %s", i, stderr)
		}
		parts = append(parts, part)
	}
	merged := filepath.Join(work, "merged.jsonl")
	if _, stderr, code := runCLI(t, append([]string{"merge-shards", "--out", merged}, parts...)...); code != 0 {
		t.Fatalf("merge: %s", stderr)
	}
	want, _ := os.ReadFile(all)
	got, _ := os.ReadFile(merged)
	if len(want) == 0 || !bytes.Equal(got, want) {
		t.Errorf("merged shards differ from the unsharded run (%d vs %d bytes)", len(got), len(want))
	}
	if _, stderr, code := runCLI(t, "merge-shards", "--out", merged+"2", parts[0], parts[1]); code == 0 || !strings.Contains(stderr, "2 shard outputs for a split into 3") {
		t.Errorf("a missing shard: exit %d %q", code, stderr)
	}
	if _, stderr, code := runCLI(t, "predict", "--model", model, "--in", in, "--shard-count", "3"); code == 0 || !strings.Contains(stderr, "--out") {
		t.Errorf("sharding to stdout: exit %d %q", code, stderr)
	}
}

// TestPredictJobFlagsExist: every flag the Kubernetes batch Job passes to
// medbert predict is a real predict flag.
func TestPredictJobFlagsExist(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "deploy", "predict-job.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	fs := (&predictCmd{}).flags(&bytes.Buffer{})
	n := 0
	for _, line := range strings.Split(string(b), "\n") {
		f, ok := strings.CutPrefix(strings.TrimSpace(line), "- --")
		if !ok {
			continue
		}
		name, _, _ := strings.Cut(f, "=")
		n++
		if fs.Lookup(name) == nil {
			t.Errorf("deploy/predict-job.yaml passes --%s, which predict does not have", name)
		}
	}
	if n < 4 {
		t.Fatalf("found only %d flags in the Job's args", n)
	}
}
