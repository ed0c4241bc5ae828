package explain

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/medbert/medbert/pipeline"
)

// BenchmarkExplainModel explains one prediction of the model folder named
// by MEDBERT_BENCH_MODEL (e.g. a bert-base made with medbert init) on a
// note cut to 128 tokens, with integrated gradients at 32 steps: the time
// a clinician waits for "explain".
func BenchmarkExplainModel(b *testing.B) {
	dir := os.Getenv("MEDBERT_BENCH_MODEL")
	if dir == "" {
		b.Skip("set MEDBERT_BENCH_MODEL to a float32 classifier folder")
	}
	p, err := pipeline.Load(dir, pipeline.Options{MaxLength: 128})
	if err != nil {
		b.Fatal(err)
	}
	note := strings.Repeat("58 year old man with productive cough, fever and wheeze for three days; chest x-ray shows right lower lobe consolidation. ", 8)
	for _, steps := range []int{32} {
		b.Run("ig32", func(b *testing.B) {
			for b.Loop() {
				if _, err := Explain(context.Background(), p.Model, p.Tokenizer, note, Options{Steps: steps, MaxLength: 128}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/explanation")
		})
	}
}
