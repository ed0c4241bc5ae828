package nn

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/medbert/medbert/tensor"
)

func names(ps []Param) []string {
	var s []string
	for _, p := range ps {
		s = append(s, p.Name)
	}
	return s
}

func TestJoin(t *testing.T) {
	for _, c := range [][3]string{{"", "weight", "weight"}, {"a.b", "weight", "a.b.weight"}, {"a.", "bias", "a.bias"}} {
		if got := Join(c[0], c[1]); got != c[2] {
			t.Errorf("Join(%q, %q) = %q, want %q", c[0], c[1], got, c[2])
		}
	}
}

func TestLinearInitAndForward(t *testing.T) {
	l := NewLinear(64, 128, true, rand.New(rand.NewPCG(1, 2)))
	if !slices.Equal(l.Weight.Shape, []int{128, 64}) || !slices.Equal(l.Bias.Shape, []int{128}) {
		t.Fatalf("shapes %v %v, want [128 64] (PyTorch [out,in]) and [128]", l.Weight.Shape, l.Bias.Shape)
	}
	var s, s2 float64
	for _, v := range l.Weight.Data {
		s += float64(v)
		s2 += float64(v) * float64(v)
	}
	n := float64(l.Weight.Size())
	mean, std := s/n, math.Sqrt(s2/n-(s/n)*(s/n))
	// 8192 samples: the std estimate is within ~1% (5σ ≈ 4%) of 0.02.
	if math.Abs(mean) > 0.002 || math.Abs(std-0.02) > 0.0008 {
		t.Errorf("weight mean %.5f std %.5f, want N(0, 0.02)", mean, std)
	}
	for _, v := range l.Bias.Data {
		if v != 0 {
			t.Fatal("bias not zero at init")
		}
	}
	if !l.Weight.RequiresGrad() || !l.Bias.RequiresGrad() {
		t.Error("parameters must require grad")
	}
	again := NewLinear(64, 128, true, rand.New(rand.NewPCG(1, 2)))
	if !slices.Equal(again.Weight.Data, l.Weight.Data) {
		t.Error("same seed gave different weights")
	}
	if got := names(l.Params("bert.pooler.dense")); !slices.Equal(got, []string{"bert.pooler.dense.weight", "bert.pooler.dense.bias"}) {
		t.Errorf("names %v", got)
	}
	if got := names(NewLinear(2, 3, false, nil).Params("")); !slices.Equal(got, []string{"weight"}) {
		t.Errorf("no-bias names %v", got)
	}

	// y = x·Wᵀ + b by hand.
	h := &Linear{Weight: tensor.New([]float32{1, 2, 3, 4, 5, 6}, 2, 3), Bias: tensor.New([]float32{0.5, -1}, 2)}
	y := h.Forward(tensor.New([]float32{1, 0, -1}, 1, 3), false)
	if !slices.Equal(y.Data, []float32{1 - 3 + 0.5, 4 - 6 - 1}) {
		t.Errorf("Forward = %v", y.Data)
	}
}

func TestEmbeddingPadding(t *testing.T) {
	e := NewEmbedding(10, 4, 0, rand.New(rand.NewPCG(3, 4)))
	for j := 0; j < 4; j++ {
		if e.Weight.Data[j] != 0 {
			t.Fatal("padding row not zeroed at init")
		}
		if e.Weight.Data[4+j] == 0 {
			t.Fatal("non-padding row is zero")
		}
	}
	y := e.Forward([]int{0, 3, 0}, true)
	tensor.Sum(y).Backward()
	for j := 0; j < 4; j++ {
		if e.Weight.Grad[j] != 0 || e.Weight.Grad[3*4+j] != 1 {
			t.Fatalf("grad %v: padding row must get none, row 3 one", e.Weight.Grad)
		}
	}
	if got := names(e.Params("word_embeddings")); !slices.Equal(got, []string{"word_embeddings.weight"}) {
		t.Errorf("names %v", got)
	}
}

func TestLayerNormHand(t *testing.T) {
	l := NewLayerNorm(3, 1e-12)
	if !slices.Equal(l.Weight.Data, []float32{1, 1, 1}) || !slices.Equal(l.Bias.Data, []float32{0, 0, 0}) {
		t.Fatal("init must be weight 1, bias 0")
	}
	// mean 2, biased variance 2/3: (x-2)/sqrt(2/3) = ±1.2247449.
	y := l.Forward(tensor.New([]float32{1, 2, 3}, 1, 3), false)
	for i, w := range []float64{-1.224744871391589, 0, 1.224744871391589} {
		if math.Abs(float64(y.Data[i])-w) > 1e-6 {
			t.Errorf("LayerNorm = %v", y.Data)
		}
	}
	if got := names(l.Params("LayerNorm")); !slices.Equal(got, []string{"LayerNorm.weight", "LayerNorm.bias"}) {
		t.Errorf("names %v", got)
	}
}

// fixedKernel is a LinearKernel that answers a constant, to see when a
// Linear uses its inference kernel.
type fixedKernel struct{ y *tensor.Tensor }

func (k fixedKernel) Forward(*tensor.Tensor) *tensor.Tensor { return k.y }
func (fixedKernel) Bytes() int                              { return 0 }

// TestGradPerCall: without grad a layer records nothing and writes no
// gradient (its parameters are read through detached views) and uses its
// inference kernel; with grad it records and the backward reaches the
// parameters.
func TestGradPerCall(t *testing.T) {
	l := NewLinear(3, 2, true, rand.New(rand.NewPCG(7, 8)))
	ln := NewLayerNorm(2, 1e-12)
	x := tensor.New([]float32{1, 2, 3, -1, 0, 1}, 2, 3)
	y := ln.Forward(l.Forward(x, false), false)
	if y.RequiresGrad() || !y.IsLeaf() {
		t.Fatal("a forward without grad recorded a graph")
	}
	tensor.Sum(ln.Forward(l.Forward(x, true), true)).Backward()
	if l.Weight.Grad == nil || l.Bias.Grad == nil || ln.Weight.Grad == nil {
		t.Fatal("a forward with grad did not reach the parameters")
	}
	want := tensor.New([]float32{9, 9, 9, 9}, 2, 2)
	l.Infer = fixedKernel{want}
	if got := l.Forward(x, false); got != want {
		t.Error("a forward without grad did not use the inference kernel")
	}
	if got := l.Forward(x, true); got == want {
		t.Error("a forward with grad used the inference-only kernel")
	}
	leaf := x.Clone()
	leaf.SetRequiresGrad(true)
	if got := l.Forward(leaf, false); got == want || !got.RequiresGrad() {
		t.Error("an input that requires grad went through the inference-only kernel")
	}
}
