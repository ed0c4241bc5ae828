package optim

import "testing"

// BenchmarkAdamWStep: one Step over a bert-base-sized parameter set
// (110M floats, as 200 tensors); reports elements per second.
func BenchmarkAdamWStep(b *testing.B) {
	const tensors, size = 200, 550_000
	ps := make([]Param, tensors)
	for i := range ps {
		ps[i] = Param{Name: string(rune('a'+i%26)) + string(rune('0'+i/26)), Data: make([]float32, size), Grad: make([]float32, size)}
		for j := range ps[i].Grad {
			ps[i].Grad[j] = float32(j%7) * 1e-3
		}
	}
	SetHFNoDecay(ps)
	opt, err := NewAdamW(ps, AdamWConfig{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ClipGradNorm(ps, 1)
		opt.Step(1e-4)
	}
	b.ReportMetric(float64(tensors*size)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Melem/s")
}
