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
	y := h.Forward(tensor.New([]float32{1, 0, -1}, 1, 3))
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
	y := e.Forward([]int{0, 3, 0})
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
	y := l.Forward(tensor.New([]float32{1, 2, 3}, 1, 3))
	for i, w := range []float64{-1.224744871391589, 0, 1.224744871391589} {
		if math.Abs(float64(y.Data[i])-w) > 1e-6 {
			t.Errorf("LayerNorm = %v", y.Data)
		}
	}
	if got := names(l.Params("LayerNorm")); !slices.Equal(got, []string{"LayerNorm.weight", "LayerNorm.bias"}) {
		t.Errorf("names %v", got)
	}
}

func TestDropoutModes(t *testing.T) {
	x := tensor.New([]float32{1, 2, 3, 4, 5, 6, 7, 8}, 8)
	d := NewDropout(0.5, rand.New(rand.NewPCG(5, 6)))
	if d.Forward(x) != x {
		t.Error("eval dropout must be the identity")
	}
	d.SetTraining(true)
	y := d.Forward(x)
	zeros := 0
	for i, v := range y.Data {
		switch v {
		case 0:
			zeros++
		case 2 * x.Data[i]:
		default:
			t.Fatalf("training dropout value %v for %v", v, x.Data[i])
		}
	}
	if zeros == 0 || zeros == 8 {
		t.Errorf("p=0.5 dropped %d of 8 (seeded; expected some, not all)", zeros)
	}
	if (&Dropout{P: 0, Training: true}).Forward(x) != x {
		t.Error("p=0 dropout must be the identity")
	}
}

func TestAdditiveMask(t *testing.T) {
	got := AdditiveMask([]int64{1, 0, 1})
	if !slices.Equal(got, []float32{0, -math.MaxFloat32, 0}) {
		t.Errorf("AdditiveMask = %v", got)
	}
}

func TestSelfAttention(t *testing.T) {
	if _, err := NewSelfAttention(10, 3, 0, nil); err == nil {
		t.Error("hidden 10 with 3 heads must be an error")
	}
	rng := rand.New(rand.NewPCG(7, 8))
	a, err := NewSelfAttention(8, 2, 0.1, rng)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"attention.self.query.weight", "attention.self.query.bias", "attention.self.key.weight",
		"attention.self.key.bias", "attention.self.value.weight", "attention.self.value.bias"}
	if got := names(a.Params("attention.self")); !slices.Equal(got, want) {
		t.Errorf("names %v", got)
	}
	x := tensor.Zeros(2*3, 8)
	for i := range x.Data {
		x.Data[i] = float32(rng.NormFloat64())
	}
	mask := AdditiveMask([]int{1, 1, 1, 1, 0, 0})
	ctx, probs := a.Forward(x, 2, 3, mask) // eval: no dropout
	wantCtx, wantProbs := tensor.Attention(a.Query.Forward(x), a.Key.Forward(x), a.Value.Forward(x), 2, 3, 2, mask)
	if !slices.Equal(ctx.Data, wantCtx.Data) || !slices.Equal(probs.Data, wantProbs.Data) {
		t.Error("SelfAttention differs from Linear+tensor.Attention")
	}
	// Second sequence has one real token: each query puts all mass on key 0.
	for h := 0; h < 2; h++ {
		for i := 0; i < 3; i++ {
			row := probs.Data[((1*2+h)*3+i)*3:][:3]
			if row[0] != 1 || row[1] != 0 || row[2] != 0 {
				t.Errorf("masked row %v", row)
			}
		}
	}
	a.Dropout.SetTraining(true)
	ctxTrain, _ := a.Forward(x, 2, 3, mask)
	if slices.Equal(ctxTrain.Data, ctx.Data) {
		t.Error("training attention dropout changed nothing")
	}
}

func TestCrossEntropyIgnore(t *testing.T) {
	logits := tensor.New([]float32{1, 2, 3, 1, 1, 1}, 2, 3)
	// Only row 0 counts: log(e+e²+e³) - 3.
	if got := CrossEntropy(logits, []int{2, IgnoreIndex}, nil).Item(); math.Abs(float64(got)-0.40760596444438013) > 1e-7 {
		t.Errorf("CE = %v", got)
	}
}
