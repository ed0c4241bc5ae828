package main

import (
	"fmt"
	"io"

	"github.com/medbert/medbert/shard"
)

func init() {
	register(&command{
		name:    "merge-shards",
		summary: "merge the outputs of predict --shard-index/--shard-count into one file, in input order",
		run:     runMergeShards,
	})
}

func runMergeShards(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("merge-shards", "merge-shards --out FILE PART [PART...]   (each PART written by predict --shard-index I --shard-count N --out PART)", stderr)
	out := fs.String("out", "", "merged output file (written atomically)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return fmt.Errorf("--out is required")
	}
	if err := checkNewFile("out", *out); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return fmt.Errorf("name the shard outputs to merge")
	}
	if err := shard.Merge(*out, fs.Args()); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "merged %d shards into %s\n", fs.NArg(), *out)
	return nil
}
