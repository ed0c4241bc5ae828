package torchfile

import (
	"fmt"
	"path/filepath"
	"testing"
)

// bertBaseTensors returns zero-filled tensors with bert-base-cased shapes
// (108M parameters, ~433 MB), the size of BioBERT / Bio_ClinicalBERT.
func bertBaseTensors() []Tensor {
	const v, h, i, p, layers = 28996, 768, 3072, 512, 12
	var ts []Tensor
	add := func(name string, shape ...int) {
		n := 1
		for _, d := range shape {
			n *= d
		}
		ts = append(ts, Tensor{Name: name, DType: "F32", Shape: shape, Data: make([]byte, 4*n)})
	}
	add("bert.embeddings.word_embeddings.weight", v, h)
	add("bert.embeddings.position_embeddings.weight", p, h)
	for l := 0; l < layers; l++ {
		pre := fmt.Sprintf("bert.encoder.layer.%d.", l)
		for _, m := range []string{"attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"} {
			add(pre+m+".weight", h, h)
			add(pre+m+".bias", h)
		}
		add(pre+"intermediate.dense.weight", i, h)
		add(pre+"output.dense.weight", h, i)
	}
	return ts
}

// BenchmarkLoadBertBase: Open a bert-base-sized pytorch_model.bin and read
// every tensor as float32 (what bert.Load does).
func BenchmarkLoadBertBase(b *testing.B) {
	for _, format := range []string{"zip", "legacy"} {
		b.Run(format, func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "pytorch_model.bin")
			write := WriteZip
			if format == "legacy" {
				write = WriteLegacy
			}
			if err := write(path, bertBaseTensors()); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			var bytes int64
			for b.Loop() {
				f, err := Open(path)
				if err != nil {
					b.Fatal(err)
				}
				bytes = 0
				for _, n := range f.Names() {
					d, _, err := f.Float32(n)
					if err != nil {
						b.Fatal(err)
					}
					bytes += int64(4 * len(d))
				}
				f.Close()
			}
			b.SetBytes(bytes)
		})
	}
}
