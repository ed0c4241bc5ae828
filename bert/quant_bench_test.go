package bert

import (
	"fmt"
	"sort"
	"testing"
	"time"
)

// BenchmarkBertForwardInt8 runs bert-base (random weights, seq 128) in
// float32 and int8 (per-channel weights) side by side, batch 1 and 8, so
// both see the same machine load, as a classifier is served: float32
// weights packed once, the last layer for [CLS] only. GOP/s counts the
// same multiply-adds as GFLOP/s (2 per MAC, int8 or not):
//
//	go test ./bert -run '^$' -bench BertForwardInt8 -benchtime=3x
func BenchmarkBertForwardInt8(b *testing.B) {
	fp, in8 := benchModel(b, HeadSeqCls)
	fp.PackForInference()
	q, _ := benchModel(b, HeadSeqCls)
	if err := q.Quantize(QuantOptions{}); err != nil {
		b.Fatal(err)
	}
	for _, batch := range []int{1, 8} {
		in := &Input{Batch: batch, Seq: benchSeq, InputIDs: in8.InputIDs[:batch*benchSeq], AttentionMask: in8.AttentionMask[:batch*benchSeq]}
		for _, c := range []struct {
			name string
			m    *Model
		}{{"fp32", fp}, {"int8", q}} {
			b.Run(fmt.Sprintf("batch%d/%s", batch, c.name), func(b *testing.B) {
				for b.Loop() {
					if _, err := c.m.Forward(in, nil, Options{PooledOnly: true}); err != nil {
						b.Fatal(err)
					}
				}
				sec := b.Elapsed().Seconds() / float64(b.N)
				b.ReportMetric(float64(batch)/sec, "seq/s")
				b.ReportMetric(sec*1e3, "ms/forward")
				b.ReportMetric(pooledForwardFLOPs(c.m.Config, batch, benchSeq)/sec/1e9, "GOP/s")
			})
		}
	}
}

// BenchmarkBertForwardInt8Paired alternates one float32 and one int8
// forward per iteration (bert-base, seq 128) and reports the medians and the
// median per-iteration speedup, which is robust on a shared machine where
// load changes between sub-benchmarks:
//
//	go test ./bert -run '^$' -bench BertForwardInt8Paired -benchtime=7x
func BenchmarkBertForwardInt8Paired(b *testing.B) {
	fp, in8 := benchModel(b, HeadSeqCls)
	fp.PackForInference() // both as served (see BenchmarkBertForwardInt8)
	q, _ := benchModel(b, HeadSeqCls)
	if err := q.Quantize(QuantOptions{}); err != nil {
		b.Fatal(err)
	}
	for _, batch := range []int{1, 8} {
		in := &Input{Batch: batch, Seq: benchSeq, InputIDs: in8.InputIDs[:batch*benchSeq], AttentionMask: in8.AttentionMask[:batch*benchSeq]}
		b.Run(fmt.Sprintf("batch%d", batch), func(b *testing.B) {
			var tf, tq, ratio []float64
			for b.Loop() {
				t0 := time.Now()
				if _, err := fp.Forward(in, nil, Options{PooledOnly: true}); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				if _, err := q.Forward(in, nil, Options{PooledOnly: true}); err != nil {
					b.Fatal(err)
				}
				t2 := time.Now()
				f, i := t1.Sub(t0).Seconds(), t2.Sub(t1).Seconds()
				tf, tq, ratio = append(tf, f), append(tq, i), append(ratio, f/i)
			}
			b.ReportMetric(1e3*median(tf), "fp32-ms")
			b.ReportMetric(1e3*median(tq), "int8-ms")
			b.ReportMetric(float64(batch)/median(tq), "int8-seq/s")
			b.ReportMetric(median(ratio), "speedup")
		})
	}
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s) == 0 {
		return 0
	}
	return s[len(s)/2]
}
