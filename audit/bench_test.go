package audit

import (
	"path/filepath"
	"runtime"
	"testing"

	"github.com/medbert/medbert/seal"
)

// BenchmarkAppend measures records appended per second by 16 concurrent
// appenders (b.SetParallelism), the shape of a server, in each sync mode,
// plaintext and sealed; fsync cost is the storage's.
func BenchmarkAppend(b *testing.B) {
	priv, _ := testSigner(30)
	key := seal.Key{30}
	for _, c := range []struct {
		name string
		opts Options
	}{
		{"group", Options{SigningKey: priv}},
		{"group-sealed", Options{SigningKey: priv, SealKey: &key}},
		{"strict", Options{Sync: SyncStrict, SigningKey: priv}},
		{"strict-sealed", Options{Sync: SyncStrict, SigningKey: priv, SealKey: &key}},
	} {
		b.Run(c.name, func(b *testing.B) {
			w, err := Open(filepath.Join(b.TempDir(), "a.log"), c.opts)
			if err != nil {
				b.Fatal(err)
			}
			rec := decision(1)
			b.SetParallelism(max(1, 16/runtime.GOMAXPROCS(0))) // about 16 appenders in all
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := w.Append(rec); err != nil {
						b.Error(err)
						return
					}
				}
			})
			if err := w.Sync(); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
			w.Close()
		})
	}
}
