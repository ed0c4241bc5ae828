package safetensors

import (
	"fmt"
	"path/filepath"
	"testing"
)

// benchFile writes a 64 MiB file of 16 tensors in dtype dt.
func benchFile(b *testing.B, dt DType) (string, int64) {
	b.Helper()
	const n = 16
	const elems = 1 << 20 // 4 MiB per F32 tensor
	var ts []Tensor
	var total int64
	v := make([]float32, elems)
	for i := range v {
		v[i] = float32(i%1000) * 0.001
	}
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("layer.%d.weight", i)
		var t Tensor
		switch dt {
		case DTypeF16:
			t = F16FromF32(name, []int{1024, 1024}, v)
		case DTypeBF16:
			t = BF16FromF32(name, []int{1024, 1024}, v)
		default:
			t = F32(name, []int{1024, 1024}, v)
		}
		total += int64(len(t.Data))
		ts = append(ts, t)
	}
	path := filepath.Join(b.TempDir(), "bench.safetensors")
	if err := Write(path, ts, map[string]string{"format": "pt"}); err != nil {
		b.Fatal(err)
	}
	return path, total
}

// BenchmarkLoad: Open + Float32 of every tensor (page cache warm); MB/s
// counts the file's tensor bytes.
func BenchmarkLoad(b *testing.B) {
	for _, dt := range []DType{DTypeF32, DTypeF16, DTypeBF16} {
		b.Run(string(dt), func(b *testing.B) {
			path, total := benchFile(b, dt)
			b.SetBytes(total)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				f, err := Open(path)
				if err != nil {
					b.Fatal(err)
				}
				for _, n := range f.Names() {
					if _, _, err := f.Float32(n); err != nil {
						b.Fatal(err)
					}
				}
				f.Close()
			}
		})
	}
}

func BenchmarkWrite(b *testing.B) {
	v := make([]float32, 1<<22)
	ts := []Tensor{F32("w", []int{len(v)}, v)}
	path := filepath.Join(b.TempDir(), "w.safetensors")
	b.SetBytes(int64(4 * len(v)))
	for i := 0; i < b.N; i++ {
		if err := Write(path, ts, nil); err != nil {
			b.Fatal(err)
		}
	}
}
