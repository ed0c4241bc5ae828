package tensor

import (
	"math/rand/v2"
	"testing"
)

// BERT-base shapes: batch 8, seq 128, hidden 768, 12 heads.
const benchB, benchS, benchH, benchHeads = 8, 128, 768, 12

func benchInputs(n int, shapes ...[]int) []*Tensor {
	rng := rand.New(rand.NewPCG(1, uint64(n)))
	var ts []*Tensor
	for _, s := range shapes {
		ts = append(ts, randTensor(rng, 1, s...))
	}
	return ts
}

// BenchmarkAttention measures the fused attention forward (inference, no
// graph) and forward+backward, reporting GFLOP/s of the four GEMMs per head
// (2 forward, 4 backward).
func BenchmarkAttention(b *testing.B) {
	in := benchInputs(1, []int{benchB * benchS, benchH}, []int{benchB * benchS, benchH}, []int{benchB * benchS, benchH})
	q, k, v := in[0], in[1], in[2]
	fwdFlop := 2.0 * 2 * benchB * benchS * benchS * benchH
	b.Run("forward", func(b *testing.B) {
		q, k, v := q.Detach(), k.Detach(), v.Detach()
		b.ReportAllocs()
		for b.Loop() {
			Attention(q, k, v, benchB, benchS, benchHeads, nil)
		}
		b.ReportMetric(fwdFlop*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
	b.Run("forward+backward", func(b *testing.B) {
		b.ReportAllocs()
		seed := make([]float32, q.Size())
		for i := range seed {
			seed[i] = 1
		}
		for b.Loop() {
			ctx, _ := Attention(q, k, v, benchB, benchS, benchHeads, nil)
			ctx.backwardFrom(seed)
		}
		b.ReportMetric(3*fwdFlop*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
}

// BenchmarkLinear measures a BERT-base intermediate Linear (768 -> 3072) over
// batch·seq rows, forward and forward+backward.
func BenchmarkLinear(b *testing.B) {
	in := benchInputs(2, []int{benchB * benchS, benchH}, []int{4 * benchH, benchH}, []int{4 * benchH})
	x, w, bias := in[0], in[1], in[2]
	flop := 2.0 * benchB * benchS * benchH * 4 * benchH
	b.Run("forward", func(b *testing.B) {
		x, w, bias := x.Detach(), w.Detach(), bias.Detach()
		b.ReportAllocs()
		for b.Loop() {
			Linear(x, w, bias)
		}
		b.ReportMetric(flop*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
	b.Run("forward+backward", func(b *testing.B) {
		b.ReportAllocs()
		seed := make([]float32, benchB*benchS*4*benchH)
		for b.Loop() {
			Linear(x, w, bias).backwardFrom(seed)
		}
		b.ReportMetric(3*flop*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
}
