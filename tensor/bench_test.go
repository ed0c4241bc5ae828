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

// BenchmarkDropout measures training-mode dropout (p 0.1) forward+backward
// over a BERT-base hidden activation, reporting GB/s of activation read
// and written (x, y, dy, dx).
func BenchmarkDropout(b *testing.B) {
	x := benchInputs(3, []int{benchB * benchS, benchH})[0]
	seed := make([]float32, x.Size())
	rng := rand.New(rand.NewPCG(1, 2))
	b.ReportAllocs()
	for b.Loop() {
		y := Dropout(x, 0.1, rng)
		y.backwardFrom(seed)
		y.FreeGraph()
	}
	b.ReportMetric(4*4*float64(x.Size())*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
}

// BenchmarkAttentionDropoutTrain measures a training attention step
// (dropout 0.1, forward+backward, graph freed) keeping the probabilities
// (AttentionDropout) and recomputing them in the backward
// (AttentionDropoutContext).
func BenchmarkAttentionDropoutTrain(b *testing.B) {
	in := benchInputs(1, []int{benchB * benchS, benchH}, []int{benchB * benchS, benchH}, []int{benchB * benchS, benchH})
	q, k, v := in[0], in[1], in[2]
	seed := make([]float32, q.Size())
	for i := range seed {
		seed[i] = 1
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, keep := range []bool{true, false} {
		name := "context"
		if keep {
			name = "probs"
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				var ctx *Tensor
				if keep {
					ctx, _ = AttentionDropout(q, k, v, benchB, benchS, benchHeads, nil, 0.1, rng)
				} else {
					ctx = AttentionDropoutContext(q, k, v, benchB, benchS, benchHeads, nil, 0.1, rng)
				}
				ctx.backwardFrom(seed)
				ctx.FreeGraph()
			}
		})
	}
}

// BenchmarkFFNOutputTrain measures a BERT-base feed-forward output in
// training, Add(Dropout(Linear(GELU(h)))) from the pre-activation h
// (batch·seq, 3072), forward+backward with the graph freed: as separate
// ops and as GELULinearDropoutAdd (which recomputes GELU in the backward).
func BenchmarkFFNOutputTrain(b *testing.B) {
	in := benchInputs(4, []int{benchB * benchS, 4 * benchH}, []int{benchH, 4 * benchH}, []int{benchH}, []int{benchB * benchS, benchH})
	h, w, bias, r := in[0], in[1], in[2], in[3]
	seed := make([]float32, r.Size())
	rng := rand.New(rand.NewPCG(1, 2))
	flop := 3 * 2.0 * benchB * benchS * benchH * 4 * benchH
	for _, fused := range []bool{false, true} {
		name := "composed"
		if fused {
			name = "fused"
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				var y *Tensor
				if fused {
					y = GELULinearDropoutAdd(h, w, bias, r, 0.1, rng)
				} else {
					y = Add(Dropout(Linear(GELU(h), w, bias), 0.1, rng), r)
				}
				y.backwardFrom(seed)
				y.FreeGraph()
			}
			b.ReportMetric(flop*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
