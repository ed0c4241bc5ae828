package bert

import (
	"math"
	"math/rand/v2"
	"testing"
)

// A training forward whose LayerNorms release their inputs and whose
// attention blocks rebuild their context (the default) computes the same
// loss bit for bit as one keeping both, and every parameter's gradient to
// float32 rounding, with LayerNorm weights and biases far from their
// initial 1 and 0, as in a trained model.
func TestTrainingMemorySavingsKeepGradients(t *testing.T) {
	cfg := tinyConfig(t)
	cfg.HiddenDropoutProb, cfg.AttentionProbsDropoutProb = 0.1, 0.1
	m, err := New(cfg, HeadSeqCls, 5)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 3))
	for _, p := range m.Params() {
		switch {
		case len(p.Name) > 16 && p.Name[len(p.Name)-16:] == "LayerNorm.weight":
			for i := range p.T.Data {
				p.T.Data[i] = float32((0.3 + rng.Float64()) * float64(1-2*rng.IntN(2)))
			}
		case len(p.Name) > 14 && p.Name[len(p.Name)-14:] == "LayerNorm.bias":
			for i := range p.T.Data {
				p.T.Data[i] = float32(rng.NormFloat64())
			}
		}
	}
	step := func() (loss float32, grads [][]float32) {
		m.ZeroGrad()
		out, err := m.Forward(smallInput(), &Labels{Class: []int{0, 2}}, Options{Grad: true, Dropout: rand.New(rand.NewPCG(9, 0))})
		if err != nil {
			t.Fatal(err)
		}
		loss = out.Loss.Item()
		out.Loss.Backward()
		out.Loss.FreeGraph()
		for _, p := range m.Params() {
			grads = append(grads, append([]float32(nil), p.T.Grad...))
		}
		return loss, grads
	}
	loss1, g1 := step()
	normFreesInput = false
	loss0, g0 := step()
	normFreesInput = true
	if math.Float32bits(loss1) != math.Float32bits(loss0) {
		t.Fatalf("loss %v, want %v", loss1, loss0)
	}
	var global float64
	for _, g := range g0 {
		for _, w := range g {
			global = math.Max(global, math.Abs(float64(w)))
		}
	}
	for i, p := range m.Params() {
		var scale, worst float64
		for j, w := range g0[i] {
			scale = math.Max(scale, math.Abs(float64(w)))
			worst = math.Max(worst, math.Abs(float64(g1[i][j]-w)))
		}
		// Analytically zero gradients (the key bias) are rounding noise:
		// held to the model's gradient scale instead of their own.
		if worst > 1e-5*math.Max(scale, 1e-3*global) {
			t.Errorf("%s: gradient differs by %.3g (largest %.3g)", p.Name, worst, scale)
		}
	}
}
