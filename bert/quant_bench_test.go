package bert

import (
	"fmt"
	"testing"

	"github.com/medbert/medbert/tensor"
)

// BenchmarkBertForwardInt8 runs bert-base (random weights, seq 128) in
// float32 and int8 (per-channel weights) side by side, batch 1 and 8, so
// both see the same machine load:
//
//	go test ./bert -run '^$' -bench BertForwardInt8 -benchtime=3x
func BenchmarkBertForwardInt8(b *testing.B) {
	fp, in8 := benchModel(b, HeadSeqCls)
	q, _ := benchModel(b, HeadSeqCls)
	if err := q.Quantize(QuantOptions{}); err != nil {
		b.Fatal(err)
	}
	defer tensor.NoGrad()()
	for _, batch := range []int{1, 8} {
		in := &Input{Batch: batch, Seq: benchSeq, InputIDs: in8.InputIDs[:batch*benchSeq], AttentionMask: in8.AttentionMask[:batch*benchSeq]}
		for _, c := range []struct {
			name string
			m    *Model
		}{{"fp32", fp}, {"int8", q}} {
			b.Run(fmt.Sprintf("batch%d/%s", batch, c.name), func(b *testing.B) {
				for b.Loop() {
					if _, err := c.m.Forward(in, nil, Options{}); err != nil {
						b.Fatal(err)
					}
				}
				sec := b.Elapsed().Seconds() / float64(b.N)
				b.ReportMetric(float64(batch)/sec, "seq/s")
				b.ReportMetric(sec*1e3, "ms/forward")
			})
		}
	}
}
