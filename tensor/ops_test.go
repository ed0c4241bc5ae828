package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func near(t *testing.T, what string, got float32, want float64, tol float64) {
	t.Helper()
	if math.Abs(float64(got)-want) > tol || math.IsNaN(float64(got)) {
		t.Errorf("%s = %.9g, want %.9g (±%g)", what, got, want, tol)
	}
}

// TestLinearMatMulValues checks the forward against naive float64 loops.
func TestLinearMatMulValues(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	x := randTensor(rng, 1, 2, 3, 5)
	w := randTensor(rng, 1, 4, 5)
	b := randTensor(rng, 1, 4)
	y := Linear(x, w, b)
	if len(y.Shape) != 3 || y.Shape[0] != 2 || y.Shape[1] != 3 || y.Shape[2] != 4 {
		t.Fatalf("Linear shape %v", y.Shape)
	}
	for r := 0; r < 6; r++ {
		for o := 0; o < 4; o++ {
			s := float64(b.Data[o])
			for i := 0; i < 5; i++ {
				s += float64(x.Data[r*5+i]) * float64(w.Data[o*5+i])
			}
			near(t, "Linear", y.Data[r*4+o], s, 1e-5)
		}
	}
	a := randTensor(rng, 1, 5, 3) // used transposed: (3, 5)
	c := MatMul(a, w, true, true) // (3,5)·(5,4)
	for i := 0; i < 3; i++ {
		for j := 0; j < 4; j++ {
			var s float64
			for p := 0; p < 5; p++ {
				s += float64(a.Data[p*3+i]) * float64(w.Data[j*5+p])
			}
			near(t, "MatMul", c.Data[i*4+j], s, 1e-5)
		}
	}
}

// TestCrossEntropyHand compares with values computed by hand (Python math):
// logits [[1,2,3],[1,1,1]], labels [2,0]: row losses log(e+e²+e³)-3 and
// log(3e)-1 = log 3.
func TestCrossEntropyHand(t *testing.T) {
	const l0, l1 = 0.40760596444438013, 1.0986122886681098
	logits := New([]float32{1, 2, 3, 1, 1, 1}, 2, 3)
	logits.SetRequiresGrad(true)
	loss := CrossEntropy(logits, []int{2, 0}, -100, nil)
	if loss.Dims() != 0 {
		t.Fatalf("loss shape %v, want scalar", loss.Shape)
	}
	near(t, "mean CE", loss.Item(), (l0+l1)/2, 1e-7)
	loss.Backward()
	// d/dx row0 = (softmax - onehot)/2, softmax([1,2,3]) by hand.
	sm := []float64{0.09003057317038046, 0.24472847105479767, 0.6652409557748219}
	want := []float64{sm[0] / 2, sm[1] / 2, (sm[2] - 1) / 2, (1.0/3 - 1) / 2, 1.0 / 6, 1.0 / 6}
	for i, w := range want {
		near(t, "CE grad", logits.Grad[i], w, 1e-7)
	}

	near(t, "ignored CE", CrossEntropy(logits, []int{2, -100}, -100, nil).Item(), l0, 1e-7)
	near(t, "ignore_index=3", CrossEntropy(logits, []int{3, 0}, 3, nil).Item(), l1, 1e-7)
	// torch: weighted mean divides by the sum of the targets' weights.
	weights := []float32{0.2, 0.3, 0.5}
	near(t, "weighted CE", CrossEntropy(logits, []int{2, 0}, -100, weights).Item(), (0.5*l0+0.2*l1)/0.7, 1e-7)

	// Every label ignored: NaN as torch; Backward runs and adds nothing.
	logits.ZeroGrad()
	all := CrossEntropy(logits, []int{-100, -100}, -100, nil)
	if !math.IsNaN(float64(all.Item())) {
		t.Errorf("all-ignored CE = %v, want NaN", all.Item())
	}
	all.Backward()
	for _, g := range logits.Grad {
		if g != 0 {
			t.Fatalf("all-ignored CE backward added %v", logits.Grad)
		}
	}
}

func TestBCEAndMSEHand(t *testing.T) {
	x := New([]float32{2, -1}, 2)
	near(t, "BCEWithLogits", BCEWithLogits(x, []float32{1, 0}).Item(), 0.2200948492805977, 1e-7)
	near(t, "MSE", MSE(x, []float32{1.5, 1}).Item(), (0.25+4)/2, 1e-7)
}

func TestDropoutSeededInverted(t *testing.T) {
	x := Zeros(100, 100)
	for i := range x.Data {
		x.Data[i] = float32(i%7) + 1
	}
	const p = 0.25
	y1 := Dropout(x, p, rand.New(rand.NewPCG(42, 1)))
	y2 := Dropout(x, p, rand.New(rand.NewPCG(42, 1)))
	y3 := Dropout(x, p, rand.New(rand.NewPCG(43, 1)))
	dropped, differ := 0, 0
	for i, v := range y1.Data {
		if v != y2.Data[i] {
			t.Fatalf("same seed, different masks at %d", i)
		}
		if v != y3.Data[i] {
			differ++
		}
		switch v {
		case 0:
			dropped++
		case x.Data[i] * float32(1/(1-p)): // torch multiplies by 1/(1-p)
		default:
			t.Fatalf("survivor %d = %v, want %v·1/(1-p)", i, v, x.Data[i])
		}
	}
	// Dropped fraction within ~5 standard deviations (σ = 0.0043) of p.
	if frac := float64(dropped) / float64(x.Size()); math.Abs(frac-p) > 0.022 {
		t.Errorf("dropped fraction %.4f, want about %v", frac, p)
	}
	if differ == 0 {
		t.Errorf("different seeds gave the same mask")
	}
	if Dropout(x, 0, nil) != x {
		t.Errorf("p=0 must return x itself")
	}
	for _, v := range Dropout(x, 1, rand.New(rand.NewPCG(1, 1))).Data {
		if v != 0 {
			t.Fatalf("p=1 kept a value")
		}
	}
}

func TestEmbeddingPaddingIdx(t *testing.T) {
	w := New([]float32{1, 2, 3, 4, 5, 6}, 3, 2)
	w.SetRequiresGrad(true)
	y := Embedding(w, []int{0, 2, 0, 1}, 0)
	want := []float32{1, 2, 5, 6, 1, 2, 3, 4}
	for i, v := range want {
		if y.Data[i] != v {
			t.Fatalf("gather = %v, want %v", y.Data, want)
		}
	}
	y.backwardFrom([]float32{1, 1, 1, 1, 1, 1, 1, 1})
	wantG := []float32{0, 0, 1, 1, 1, 1} // row 0 is padding: exactly no gradient
	for i, v := range wantG {
		if w.Grad[i] != v {
			t.Fatalf("grad = %v, want %v", w.Grad, wantG)
		}
	}
}

// naiveAttention is a float64 reference: per batch and head,
// softmax(q·kᵀ/√hd + mask)·v with HF's head split.
func naiveAttention(q, k, v []float32, batch, seq, heads, hidden int, mask []float32) (ctx, probs []float64) {
	hd := hidden / heads
	ctx = make([]float64, batch*seq*hidden)
	probs = make([]float64, batch*heads*seq*seq)
	for b := 0; b < batch; b++ {
		for h := 0; h < heads; h++ {
			for i := 0; i < seq; i++ {
				s := make([]float64, seq)
				mx := math.Inf(-1)
				for j := 0; j < seq; j++ {
					var dot float64
					for d := 0; d < hd; d++ {
						dot += float64(q[(b*seq+i)*hidden+h*hd+d]) * float64(k[(b*seq+j)*hidden+h*hd+d])
					}
					s[j] = dot / math.Sqrt(float64(hd))
					if mask != nil {
						s[j] += float64(mask[b*seq+j])
					}
					mx = max(mx, s[j])
				}
				var sum float64
				for j := range s {
					s[j] = math.Exp(s[j] - mx)
					sum += s[j]
				}
				for j := range s {
					p := s[j] / sum
					probs[((b*heads+h)*seq+i)*seq+j] = p
					for d := 0; d < hd; d++ {
						ctx[(b*seq+i)*hidden+h*hd+d] += p * float64(v[(b*seq+j)*hidden+h*hd+d])
					}
				}
			}
		}
	}
	return ctx, probs
}

func TestAttentionVsNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	const batch, seq, heads, hidden = 3, 5, 4, 16
	q := randTensor(rng, 1, batch, seq, hidden)
	k := randTensor(rng, 1, batch, seq, hidden)
	v := randTensor(rng, 1, batch, seq, hidden)
	// Sequence lengths 5, 3, 1 (trailing pads), float32 min as HF's mask.
	mask := make([]float32, batch*seq)
	for b, n := range []int{5, 3, 1} {
		for j := n; j < seq; j++ {
			mask[b*seq+j] = -math.MaxFloat32
		}
	}
	for _, m := range [][]float32{mask, nil} {
		ctx, probs := Attention(q, k, v, batch, seq, heads, m)
		if len(probs.Shape) != 4 || probs.Shape[1] != heads || len(ctx.Shape) != 3 {
			t.Fatalf("shapes ctx %v probs %v", ctx.Shape, probs.Shape)
		}
		wantCtx, wantP := naiveAttention(q.Data, k.Data, v.Data, batch, seq, heads, hidden, m)
		for i, w := range wantCtx {
			near(t, "ctx", ctx.Data[i], w, 2e-6)
		}
		for i, w := range wantP {
			near(t, "probs", probs.Data[i], w, 1e-7)
			key := i % seq
			b := i / (heads * seq * seq)
			if m != nil && m[b*seq+key] != 0 && probs.Data[i] != 0 {
				t.Fatalf("masked key %d of batch %d has probability %g", key, b, probs.Data[i])
			}
		}
	}
}

// TestDetachedRecordsNothing: with detached views of the same inputs no op
// builds a node, so nothing (activations, masks, mean/rstd) is retained,
// and the outputs are identical to the recorded run's.
func TestDetachedRecordsNothing(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	x := randTensor(rng, 1, 4, 6)
	w := randTensor(rng, 1, 6, 6)
	g, b := randTensor(rng, 1, 6), randTensor(rng, 1, 6)
	run := func(x, w, g, b *Tensor) []*Tensor {
		l := Linear(x, w, b)
		ln := LayerNorm(l, g, b, 1e-12)
		ctx, _ := AttentionDropout(ln, ln, ln, 2, 2, 3, nil, 0.5, rand.New(rand.NewPCG(1, 2)))
		e := Embedding(w, []int{1, 2}, 0)
		outs := []*Tensor{l, ln, ctx, e, GELU(ctx), Tanh(ctx), GELUTanh(ctx), ReLU(ctx), Add(x, x), AddBias(x, b), Mul(x, x), Scale(x, 2),
			Reshape(x, 6, 4), SelectRows(x, []int{1}), SliceLast(x, 0, 2), Dropout(x, 0.5, rand.New(rand.NewPCG(3, 4))),
			MatMul(x, w, false, false), Sum(x), Mean(x), CrossEntropy(x, []int{0, 1, 2, 3}, -100, nil),
			BCEWithLogits(x, make([]float32, 24)), MSE(x, make([]float32, 24))}
		return outs
	}
	withGrad := run(x, w, g, b)
	noGrad := run(x.Detach(), w.Detach(), g.Detach(), b.Detach())
	for i, o := range noGrad {
		if o.node != nil || o.RequiresGrad() {
			t.Errorf("output %d recorded a node from detached inputs", i)
		}
		if withGrad[i].node == nil {
			t.Errorf("output %d recorded no node with grad on", i)
		}
		for j, v := range o.Data {
			if v != withGrad[i].Data[j] {
				t.Fatalf("output %d differs from detached inputs at %d", i, j)
			}
		}
	}
	// Inputs that do not require grad record nothing even with grad on.
	c := Tanh(New([]float32{1, 2}, 2))
	if c.node != nil {
		t.Error("op on constant inputs recorded a node")
	}
}

// TestActivationValues checks GELU variants and ReLU at points computed by
// hand (Python math): gelu(1) = 0.5·(1+erf(1/√2)), gelu_tanh(1) =
// 0.5·(1+tanh(√(2/π)·1.044715)).
func TestActivationValues(t *testing.T) {
	x := New([]float32{1, -2, 0}, 3)
	g, gt, r := GELU(x), GELUTanh(x), ReLU(x)
	near(t, "gelu(1)", g.Data[0], 0.8413447460685429, 1e-6)
	near(t, "gelu(-2)", g.Data[1], -0.04550026389635842, 1e-6)
	near(t, "gelu_tanh(1)", gt.Data[0], 0.8411919906082768, 1e-6)
	near(t, "gelu_tanh(-2)", gt.Data[1], -0.04540230591222385, 1e-6)
	for i, w := range []float32{1, 0, 0} {
		if r.Data[i] != w {
			t.Errorf("relu = %v", r.Data)
		}
	}
}

// TestDropoutKeptZeroGetsGradient: an input that is exactly 0 but kept must
// still pass its gradient (the mask is stored, not inferred from the output).
func TestDropoutKeptZeroGetsGradient(t *testing.T) {
	x := Zeros(64)
	for i := 1; i < 64; i += 2 {
		x.Data[i] = 1
	}
	x.SetRequiresGrad(true)
	y := Dropout(x, 0.5, rand.New(rand.NewPCG(9, 9)))
	Sum(y).Backward()
	keptZeros := 0
	for i, g := range x.Grad {
		if g != 0 && g != 2 {
			t.Fatalf("grad[%d] = %v, want 0 or 1/(1-p) = 2", i, g)
		}
		if i%2 == 1 && (g == 2) != (y.Data[i] != 0) {
			t.Fatalf("grad[%d] = %v disagrees with output %v", i, g, y.Data[i])
		}
		if i%2 == 0 && g == 2 {
			keptZeros++
		}
	}
	if keptZeros == 0 {
		t.Error("no kept zero input received a gradient")
	}
}

// AttentionContext computes Attention's ctx block by block without the
// probability tensor: bit-identical to Attention on detached inputs
// (shapes with odd sequence lengths, one head, masks and no mask, empty
// batches), and with Attention's gradients, bit for bit, when an input
// requires grad.
func TestAttentionContext(t *testing.T) {
	rng := rand.New(rand.NewPCG(27, 28))
	for _, c := range []struct{ batch, seq, heads, hidden int }{
		{3, 5, 4, 16}, {1, 1, 1, 8}, {2, 17, 3, 24}, {4, 128, 2, 64}, {0, 7, 2, 8}, {2, 9, 1, 5},
	} {
		q := randTensor(rng, 1, c.batch, c.seq, c.hidden)
		k := randTensor(rng, 1, c.batch, c.seq, c.hidden)
		v := randTensor(rng, 1, c.batch, c.seq, c.hidden)
		mask := make([]float32, c.batch*c.seq)
		for b := range c.batch {
			for j := c.seq - b; j < c.seq; j++ {
				if j >= 1 {
					mask[b*c.seq+j] = -math.MaxFloat32
				}
			}
		}
		for _, m := range [][]float32{mask, nil} {
			want, _ := Attention(q, k, v, c.batch, c.seq, c.heads, m)
			got := AttentionContext(q.Detach(), k.Detach(), v.Detach(), c.batch, c.seq, c.heads, m)
			if got.node != nil || !slices.Equal(got.Shape, want.Shape) {
				t.Fatalf("%+v: shape %v node %v", c, got.Shape, got.node != nil)
			}
			for i := range want.Data {
				if got.Data[i] != want.Data[i] {
					t.Fatalf("%+v mask %v: ctx[%d] = %g, Attention gives %g", c, m != nil, i, got.Data[i], want.Data[i])
				}
			}
		}
		// With grad the graph is recorded, keeps no probabilities (the
		// backward recomputes them) and gives Attention's gradients.
		if c.batch == 0 {
			continue
		}
		grads := func(ctx *Tensor) [][]float32 {
			ZeroGrad(q, k, v)
			Sum(Mul(ctx, ctx)).Backward()
			return [][]float32{slices.Clone(q.Grad), slices.Clone(k.Grad), slices.Clone(v.Grad)}
		}
		wantCtx, _ := Attention(q, k, v, c.batch, c.seq, c.heads, mask)
		want := grads(wantCtx)
		ctx := AttentionContext(q, k, v, c.batch, c.seq, c.heads, mask)
		if ctx.node == nil || len(ctx.node.saved) != 0 {
			t.Fatalf("%+v: AttentionContext with grad: graph %v, saved %d buffers, want a graph saving none", c, ctx.node != nil, len(ctx.node.saved))
		}
		for i, g := range grads(ctx) {
			sameBits(t, fmt.Sprintf("%+v grad %d", c, i), g, want[i])
		}
	}
}
