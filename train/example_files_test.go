package train_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/medbert/medbert/train"
)

// At the start of a run: clean what a killed save or rotation left, then
// resolve --resume-from-checkpoint last, saying which folders were skipped.
func ExampleLastCompleteCheckpoint() {
	out, _ := os.MkdirTemp("", "ckpt")
	defer os.RemoveAll(out)
	os.MkdirAll(filepath.Join(out, "checkpoint-30.tmp"), 0o755) // a killed save
	os.MkdirAll(filepath.Join(out, "checkpoint-20"), 0o755)     // a half-deleted folder
	os.WriteFile(filepath.Join(out, "checkpoint-20", "config.json"), []byte("{}"), 0o644)

	cleaned, _ := train.CleanCheckpointLeftovers(out)
	fmt.Println("cleaned:", cleaned)
	last, skipped, _ := train.LastCompleteCheckpoint(out)
	for _, s := range skipped {
		fmt.Println("skipping", s)
	}
	fmt.Printf("last: %q\n", last)
	// Output:
	// cleaned: [checkpoint-30.tmp]
	// skipping checkpoint-20 is incomplete (no model weights (model.safetensors or pytorch_model.bin), optimizer.safetensors, optimizer.json, scheduler.json, training_args.json, rng_state.json, trainer_state.json)
	// last: ""
}
