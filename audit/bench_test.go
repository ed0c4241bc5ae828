package audit

import (
	"bytes"
	"os"
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

// BenchmarkAppendStrictSerial is one appender in strict mode: every record
// pays a whole fsync, the worst case group commit exists to avoid.
func BenchmarkAppendStrictSerial(b *testing.B) {
	priv, _ := testSigner(30)
	w, err := Open(filepath.Join(b.TempDir(), "a.log"), Options{Sync: SyncStrict, SigningKey: priv})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	rec := decision(1)
	for b.Loop() {
		if _, err := w.Append(rec); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkVerify reads a 10k-record signed log.
func BenchmarkVerify(b *testing.B) {
	priv, pub := testSigner(31)
	path := filepath.Join(b.TempDir(), "a.log")
	writeLog(b, path, 10000, Options{SigningKey: priv})
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Verify(bytes.NewReader(data), pub); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(10010*b.N)/b.Elapsed().Seconds(), "records/s")
}
