package tokenize

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// cpuTime returns the CPU time used by the calling thread (who ==
// unix.RUSAGE_THREAD) or the whole process (unix.RUSAGE_SELF). On a shared
// machine wall-clock MB/s mostly measures the neighbours, so the
// benchmarks also report throughput per CPU second ("cpu-MB/s").
func cpuTime(who int) time.Duration {
	var ru unix.Rusage
	if err := unix.Getrusage(who, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportCPU(b *testing.B, who int, start time.Duration, bytesPerOp int64) {
	if d := cpuTime(who) - start; d > 0 {
		b.ReportMetric(float64(bytesPerOp)*float64(b.N)/1e6/d.Seconds(), "cpu-MB/s")
	}
}

func benchCorpus(b *testing.B) []string {
	data, err := os.ReadFile(filepath.Join(testdataDir, "tokenize", "abstracts.txt"))
	if err != nil {
		b.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
}

func totalBytes(texts []string) int64 {
	n := 0
	for _, t := range texts {
		n += len(t)
	}
	return int64(n)
}

// BenchmarkTokenize reports MB/s (b.SetBytes) and tokens/s on real medical
// abstracts (testdata/tokenize/abstracts.txt, ASCII) and on the golden
// texts (many scripts, the general path):
//
//	go test -run '^$' -bench Tokenize -benchtime 3s ./tokenize/
func BenchmarkTokenize(b *testing.B) {
	_, unc := testTokenizers(b)
	cased, _ := testTokenizers(b)
	abstracts := benchCorpus(b)
	var unicodeTexts []string
	for _, g := range goldenCases(b, "uncased") {
		unicodeTexts = append(unicodeTexts, g.Text)
	}
	for _, c := range []struct {
		name  string
		tok   *Tokenizer
		texts []string
	}{
		{"abstracts/uncased", unc, abstracts},
		{"abstracts/cased", cased, abstracts},
		{"golden-unicode/uncased", unc, unicodeTexts},
	} {
		b.Run(c.name+"/single", func(b *testing.B) {
			b.SetBytes(totalBytes(c.texts))
			var buf []Token
			ntok := 0
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			start := cpuTime(unix.RUSAGE_THREAD)
			for b.Loop() {
				for _, t := range c.texts {
					buf = c.tok.AppendTokens(buf[:0], t)
					ntok += len(buf)
				}
			}
			reportCPU(b, unix.RUSAGE_THREAD, start, totalBytes(c.texts))
			b.ReportMetric(float64(ntok)/b.Elapsed().Seconds(), "tokens/s")
		})
		b.Run(c.name+"/batch-parallel", func(b *testing.B) {
			b.SetBytes(totalBytes(c.texts))
			ntok := 0
			start := cpuTime(unix.RUSAGE_SELF)
			for b.Loop() {
				for _, toks := range c.tok.TokenizeBatch(c.texts) {
					ntok += len(toks)
				}
			}
			reportCPU(b, unix.RUSAGE_SELF, start, totalBytes(c.texts))
			b.ReportMetric(float64(ntok)/b.Elapsed().Seconds(), "tokens/s")
		})
	}
	b.Run("abstracts/uncased/encode-batch-512", func(b *testing.B) {
		b.SetBytes(totalBytes(abstracts))
		opts := Options{MaxLength: 512, Truncation: LongestFirst, Padding: PadLongest}
		ntok := 0
		for b.Loop() {
			encs, err := unc.EncodeBatch(abstracts, opts)
			if err != nil {
				b.Fatal(err)
			}
			for i := range encs {
				ntok += len(encs[i].IDs)
			}
		}
		b.ReportMetric(float64(ntok)/b.Elapsed().Seconds(), "tokens/s")
	})
}

// BenchmarkLoad measures building a tokenizer from bert-base-uncased.
func BenchmarkLoad(b *testing.B) {
	path := filepath.Join(testdataDir, "vocab", "bert-base-uncased-vocab.txt")
	for b.Loop() {
		v, err := LoadVocab(path)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := New(v, DefaultSettings(true)); err != nil {
			b.Fatal(err)
		}
	}
}
