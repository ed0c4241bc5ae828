package deid

import (
	"bytes"
	"encoding/json"
	"io"
	"math/rand"
	"strings"
	"testing"
)

// benchNotes builds about size bytes of JSONL notes by shuffling the
// corpus sentences into multi-sentence documents.
func benchNotes(b *testing.B, size int) []byte {
	rows := loadCorpus(b)
	rng := rand.New(rand.NewSource(1))
	var buf bytes.Buffer
	for id := 0; buf.Len() < size; id++ {
		var note strings.Builder
		for k := 0; k < 12; k++ {
			note.WriteString(rows[rng.Intn(len(rows))].Text)
			note.WriteByte(' ')
			if k%4 == 3 {
				note.WriteByte('\n')
			}
		}
		line, _ := json.Marshal(map[string]any{"id": id, "text": note.String()})
		buf.Write(line)
		buf.WriteByte('\n')
	}
	return buf.Bytes()
}

// BenchmarkStream measures end-to-end `medbert deid` throughput on JSONL
// (placeholder policy, spans on) in MB/s of input.
func BenchmarkStream(b *testing.B) {
	data := benchNotes(b, 4<<20)
	cfg := StreamConfig{Format: "jsonl", Spans: true, Replacer: NewReplacer(New(Options{}), Placeholder, []byte("k"))}
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Stream(bytes.NewReader(data), io.Discard, cfg); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(data))*float64(b.N)/b.Elapsed().Seconds()/1e6, "MB/s")
}

// BenchmarkDetect measures the detector alone on one 1 KB note.
func BenchmarkDetect(b *testing.B) {
	rows := loadCorpus(b)
	var note strings.Builder
	for i := 0; note.Len() < 1000; i += 7 {
		note.WriteString(rows[i%len(rows)].Text + " ")
	}
	text := note.String()
	d := New(Options{})
	b.SetBytes(int64(len(text)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d.Detect(text)
	}
}
