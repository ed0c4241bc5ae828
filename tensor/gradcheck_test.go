package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// randTensor returns a (shape) tensor ~ N(0, std²) that requires a gradient.
func randTensor(rng *rand.Rand, std float64, shape ...int) *Tensor {
	t := Zeros(shape...)
	for i := range t.Data {
		t.Data[i] = float32(rng.NormFloat64() * std)
	}
	t.SetRequiresGrad(true)
	return t
}

// project returns Σ r_j·out_j in float64: a random linear functional of the
// op's output, so one scalar checks every output element's backward path.
func project(out *Tensor, r []float64) float64 {
	var s float64
	for j, v := range out.Data {
		s += r[j] * float64(v)
	}
	return s
}

// gradCheck compares each input's analytic gradient of L = Σ r·f() (r a
// fixed random projection) with float64 central differences of the float32
// forward. f must rebuild the output from the current input values and be
// deterministic (reseed any rng inside f).
//
// Float32 forward noise on L is about 1e-7·Σ|r·out|; with step h = 1e-2 that
// is ~1e-5·|L|/h-scale error, while the truncation error is O(h²) relative.
// An entry passes when |analytic - numeric| <= 1e-2·max(|a|,|n|) + 2e-3·maxabs
// where maxabs is the largest numeric gradient of that input (so entries
// that are tiny compared with the tensor's scale are held to an absolute
// bound, as they are dominated by rounding).
func gradCheck(t *testing.T, name string, inputs []*Tensor, f func() *Tensor) {
	t.Helper()
	const h = 1e-2
	rng := rand.New(rand.NewPCG(7, uint64(len(name))))
	out := f()
	if !out.RequiresGrad() {
		t.Fatalf("%s: output does not require grad", name)
	}
	r := make([]float64, out.Size())
	seed := make([]float32, out.Size())
	for j := range r {
		r[j] = rng.NormFloat64()
		if out.Size() == 1 {
			r[j] = 1
		}
		seed[j] = float32(r[j])
	}
	for _, in := range inputs {
		in.Grad = nil
	}
	out.backwardFrom(seed)
	for k, in := range inputs {
		if in.Grad == nil {
			t.Fatalf("%s: input %d got no gradient", name, k)
		}
		analytic := append([]float32(nil), in.Grad...)
		numeric := make([]float64, len(in.Data))
		for i, v := range in.Data {
			xp, xm := v+h, v-h
			in.Data[i] = xp
			fp := project(f(), r)
			in.Data[i] = xm
			fm := project(f(), r)
			in.Data[i] = v
			// Divide by the step actually taken in float32.
			numeric[i] = (fp - fm) / (float64(xp) - float64(xm))
		}
		var maxabs float64
		for _, n := range numeric {
			maxabs = max(maxabs, math.Abs(n))
		}
		if maxabs == 0 {
			maxabs = 1e-3
		}
		bad, worst := 0, 0.0
		for i, n := range numeric {
			a := float64(analytic[i])
			worst = max(worst, math.Abs(a-n)/(max(math.Abs(a), math.Abs(n))+0.2*maxabs))
			if d := math.Abs(a - n); d > 3e-3*max(math.Abs(a), math.Abs(n))+6e-4*maxabs {
				if bad < 5 {
					t.Errorf("%s: input %d elem %d: analytic %.6g numeric %.6g", name, k, i, a, n)
				}
				bad++
			}
		}
		t.Logf("%s: input %d: worst scaled error %.2g", name, k, worst)
		if bad > 0 {
			t.Errorf("%s: input %d: %d of %d entries differ", name, k, bad, len(numeric))
		}
	}
}

func TestGradLinear(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	x := randTensor(rng, 1, 2, 3, 5)
	w := randTensor(rng, 0.5, 4, 5)
	b := randTensor(rng, 0.5, 4)
	gradCheck(t, "Linear", []*Tensor{x, w, b}, func() *Tensor { return Linear(x, w, b) })
	gradCheck(t, "LinearNoBias", []*Tensor{x, w}, func() *Tensor { return Linear(x, w, nil) })
}

func TestGradMatMul(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const m, k, n = 3, 4, 5
	for _, ta := range []bool{false, true} {
		for _, tb := range []bool{false, true} {
			as := []int{m, k}
			if ta {
				as = []int{k, m}
			}
			bs := []int{k, n}
			if tb {
				bs = []int{n, k}
			}
			a, b := randTensor(rng, 1, as...), randTensor(rng, 1, bs...)
			gradCheck(t, fmt.Sprintf("MatMul%v%v", ta, tb), []*Tensor{a, b}, func() *Tensor { return MatMul(a, b, ta, tb) })
		}
	}
}

func TestGradElementwise(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	a := randTensor(rng, 1, 3, 4)
	b := randTensor(rng, 1, 3, 4)
	bias := randTensor(rng, 1, 4)
	pos := randTensor(rng, 1, 3, 4)
	x3 := randTensor(rng, 1, 2, 3, 4)
	gradCheck(t, "Add", []*Tensor{a, b}, func() *Tensor { return Add(a, b) })
	gradCheck(t, "AddSelf", []*Tensor{a}, func() *Tensor { return Add(a, a) })
	gradCheck(t, "AddBias", []*Tensor{a, bias}, func() *Tensor { return AddBias(a, bias) })
	gradCheck(t, "AddBias2D", []*Tensor{x3, pos}, func() *Tensor { return AddBias(x3, pos) })
	gradCheck(t, "Mul", []*Tensor{a, b}, func() *Tensor { return Mul(a, b) })
	gradCheck(t, "MulSelf", []*Tensor{a}, func() *Tensor { return Mul(a, a) })
	gradCheck(t, "Scale", []*Tensor{a}, func() *Tensor { return Scale(a, -1.5) })
	gradCheck(t, "Tanh", []*Tensor{a}, func() *Tensor { return Tanh(a) })
	gradCheck(t, "GELU", []*Tensor{x3}, func() *Tensor { return GELU(x3) })
	gradCheck(t, "GELUTanh", []*Tensor{x3}, func() *Tensor { return GELUTanh(x3) })
	// ReLU's kink is avoided: entries within h of 0 are moved away from it.
	r := randTensor(rng, 1, 3, 4)
	for i, v := range r.Data {
		if v > -0.05 && v < 0.05 {
			r.Data[i] = 0.5
		}
	}
	gradCheck(t, "ReLU", []*Tensor{r}, func() *Tensor { return ReLU(r) })
	gradCheck(t, "Sum", []*Tensor{a}, func() *Tensor { return Sum(a) })
	gradCheck(t, "Mean", []*Tensor{a}, func() *Tensor { return Mean(a) })
}

func TestGradLayerNorm(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	x := randTensor(rng, 1, 2, 3, 6)
	g := randTensor(rng, 0.3, 6)
	for i := range g.Data {
		g.Data[i] += 1
	}
	b := randTensor(rng, 0.3, 6)
	gradCheck(t, "LayerNorm", []*Tensor{x, g, b}, func() *Tensor { return LayerNorm(x, g, b, 1e-5) })
	gradCheck(t, "LayerNormEps12", []*Tensor{x}, func() *Tensor { return LayerNorm(x, g, b, 1e-12) })
}

func TestGradIndexing(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	x := randTensor(rng, 1, 2, 3, 4)
	gradCheck(t, "Reshape", []*Tensor{x}, func() *Tensor { return Tanh(Reshape(x, -1, 4)) })
	gradCheck(t, "SelectRows", []*Tensor{x}, func() *Tensor { return SelectRows(x, []int{0, 3, 3, 5}) })
	gradCheck(t, "SliceLast", []*Tensor{x}, func() *Tensor { return SliceLast(x, 1, 3) })
	w := randTensor(rng, 1, 6, 3)
	ids := []int{1, 0, 4, 1, 5, 0}
	gradCheck(t, "Embedding", []*Tensor{w}, func() *Tensor { return Embedding(w, ids, -1) })
}

func TestGradAttention(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	const batch, seq, heads, hidden = 2, 4, 2, 6
	q := randTensor(rng, 1, batch*seq, hidden)
	k := randTensor(rng, 1, batch*seq, hidden)
	v := randTensor(rng, 1, batch*seq, hidden)
	mask := make([]float32, batch*seq)
	mask[6], mask[7] = -math.MaxFloat32, -math.MaxFloat32 // second sequence: 2 pads
	attn := func() *Tensor { ctx, _ := Attention(q, k, v, batch, seq, heads, mask); return ctx }
	gradCheck(t, "Attention", []*Tensor{q, k, v}, attn)
	gradCheck(t, "AttentionNoMask", []*Tensor{q, k, v}, func() *Tensor {
		ctx, _ := Attention(q, k, v, batch, seq, heads, nil)
		return ctx
	})
	gradCheck(t, "AttentionDropout", []*Tensor{q, k, v}, func() *Tensor {
		ctx, _ := AttentionDropout(q, k, v, batch, seq, heads, mask, 0.3, rand.New(rand.NewPCG(1, 1)))
		return ctx
	})
	// Only q requires grad: the k/v paths are skipped but q's must be right.
	k.SetRequiresGrad(false)
	v.SetRequiresGrad(false)
	gradCheck(t, "AttentionQOnly", []*Tensor{q}, attn)
}

func TestGradDropout(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	x := randTensor(rng, 1, 5, 7)
	gradCheck(t, "Dropout", []*Tensor{x}, func() *Tensor { return Dropout(x, 0.4, rand.New(rand.NewPCG(2, 3))) })
}

func TestGradLosses(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	logits := randTensor(rng, 1.5, 6, 5)
	labels := []int{0, 4, -100, 2, 2, 1}
	weights := []float32{0.5, 1, 2, 0.25, 1.5}
	gradCheck(t, "CrossEntropy", []*Tensor{logits}, func() *Tensor { return CrossEntropy(logits, labels, -100, nil) })
	gradCheck(t, "CrossEntropyWeighted", []*Tensor{logits}, func() *Tensor { return CrossEntropy(logits, labels, -100, weights) })
	targets := make([]float32, logits.Size())
	for i := range targets {
		targets[i] = float32(i % 2)
	}
	targets[3] = 0.25
	gradCheck(t, "BCEWithLogits", []*Tensor{logits}, func() *Tensor { return BCEWithLogits(logits, targets) })
	gradCheck(t, "MSE", []*Tensor{logits}, func() *Tensor { return MSE(logits, targets) })
}

// TestGradComposite runs a small post-LN transformer block with a residual
// (x feeds two ops) and a shared weight (used twice), so the topological
// order, accumulation into intermediate nodes and multi-use leaves are all
// exercised end to end.
func TestGradComposite(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	const batch, seq, hidden, heads = 2, 3, 4, 2
	x := randTensor(rng, 1, batch*seq, hidden)
	wq := randTensor(rng, 0.5, hidden, hidden)
	wo := randTensor(rng, 0.5, hidden, hidden)
	bo := randTensor(rng, 0.1, hidden)
	g := randTensor(rng, 0.1, hidden)
	beta := randTensor(rng, 0.1, hidden)
	wc := randTensor(rng, 0.5, 3, hidden)
	labels := []int{2, 0}
	mask := []float32{0, 0, 0, 0, 0, -math.MaxFloat32}
	f := func() *Tensor {
		q := Linear(x, wq, nil)
		ctx, _ := Attention(q, Linear(x, wq, nil), x, batch, seq, heads, mask)
		h := LayerNorm(Add(Linear(ctx, wo, bo), x), g, beta, 1e-12)
		h = Add(h, GELU(h))
		pooled := Tanh(SelectRows(h, []int{0, seq}))
		return CrossEntropy(Linear(pooled, wc, nil), labels, -100, nil)
	}
	gradCheck(t, "Composite", []*Tensor{x, wq, wo, bo, g, beta, wc}, f)
}
