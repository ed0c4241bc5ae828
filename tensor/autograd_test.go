package tensor

import (
	"math/rand/v2"
	"sync"
	"testing"
)

// TestGradAccumulation: leaf gradients add up across Backward calls (both a
// second call on the same graph and a second forward), and ZeroGrad resets.
func TestGradAccumulation(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	x := randTensor(rng, 1, 3, 4)
	w := randTensor(rng, 1, 2, 4)
	loss := func() *Tensor { return Sum(Tanh(Linear(x, w, nil))) }
	l := loss()
	l.Backward()
	once := append([]float32(nil), w.Grad...)
	onceX := append([]float32(nil), x.Grad...)
	l.Backward() // same graph again
	loss().Backward()
	for i, g := range w.Grad {
		near(t, "w grad x3", g, 3*float64(once[i]), 1e-6)
	}
	for i, g := range x.Grad {
		near(t, "x grad x3", g, 3*float64(onceX[i]), 1e-6)
	}
	ZeroGrad(x, w)
	for _, g := range w.Grad {
		if g != 0 {
			t.Fatal("ZeroGrad left a value")
		}
	}
	loss().Backward()
	for i, g := range w.Grad {
		if g != once[i] {
			t.Fatalf("after ZeroGrad grad %v, want %v", g, once[i])
		}
	}
}

// TestIntermediateGrads: non-leaf gradients are dropped after Backward unless
// RetainGrad was called, and a retained one equals d(loss)/d(activation).
func TestIntermediateGrads(t *testing.T) {
	x := New([]float32{1, -2, 3}, 3)
	x.SetRequiresGrad(true)
	h := Scale(x, 2)
	h2 := Scale(h, 3)
	h.RetainGrad()
	Sum(Mul(h2, h2)).Backward() // L = Σ (6x)², dL/dh = 3·2·h2 = 36x
	for i, v := range []float32{36, -72, 108} {
		if h.Grad[i] != v {
			t.Fatalf("retained grad %v", h.Grad)
		}
	}
	if h2.Grad != nil {
		t.Errorf("non-retained intermediate grad kept")
	}
	for i, v := range []float32{72, -144, 216} {
		if x.Grad[i] != v {
			t.Fatalf("leaf grad %v", x.Grad)
		}
	}
}

// TestConcurrentInference runs the same forward from several goroutines on
// detached views of shared weights (run with -race to check) while another
// goroutine backpropagates to its own input leaf through the same weights,
// as an attribution does, and expects every result to equal a solo run.
func TestConcurrentInference(t *testing.T) {
	rng := rand.New(rand.NewPCG(33, 34))
	x := randTensor(rng, 1, 8, 16)
	w := randTensor(rng, 1, 16, 16)
	g, b := randTensor(rng, 1, 16), randTensor(rng, 1, 16)
	f := func(x *Tensor) *Tensor {
		w, g, b := w.Detach(), g.Detach(), b.Detach()
		h := LayerNorm(Linear(x, w, b), g, b, 1e-12)
		ctx, _ := Attention(h, h, h, 2, 4, 4, nil)
		return GELU(ctx)
	}
	attribute := func() []float32 {
		in := x.Clone()
		in.SetRequiresGrad(true)
		Sum(f(in)).Backward()
		return in.Grad
	}
	want := f(x.Detach()).Data
	wantGrad := attribute()
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for i := range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, ref := f(x.Detach()).Data, want
			if i == 0 {
				got, ref = attribute(), wantGrad
			}
			for j := range got {
				if got[j] != ref[j] {
					errs <- "concurrent result differs"
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if w.Grad != nil || g.Grad != nil || b.Grad != nil {
		t.Error("a call on detached weights wrote their gradients")
	}
}
