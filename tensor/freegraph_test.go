package tensor

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestFreeGraph checks what FreeGraph releases and what it leaves alone: a
// block with a Reshape view of a leaf, attention with dropout and dropout
// (so every kind of saved buffer is present) is run, backpropagated twice
// (allowed before FreeGraph), freed, and run again on the recycled dirty
// buffers, which must give bit-identical gradients.
func TestFreeGraph(t *testing.T) {
	const batch, seq, hidden, heads = 2, 64, 128, 4 // 16K-element activations
	rng := rand.New(rand.NewPCG(7, 7))
	x := randTensor(rng, 1, batch*seq*hidden)
	w := randTensor(rng, 0.1, hidden, hidden)
	params := []*Tensor{x, w}
	for _, p := range params {
		p.SetRequiresGrad(true)
	}
	xData := slices.Clone(x.Data)
	wData := slices.Clone(w.Data)
	type result struct {
		grads [][]float32
		loss  float32
	}
	step := func(twice bool) (result, *Tensor, []*Tensor) {
		ZeroGrad(params...)
		xv := Reshape(x, batch*seq, hidden) // a view of a leaf: must not be pooled
		h := GELU(Linear(xv, w, nil))
		ctx, probs := AttentionDropout(h, h, h, batch, seq, heads, nil, 0.1, rand.New(rand.NewPCG(1, 2)))
		y := Dropout(Add(ctx, xv), 0.1, rand.New(rand.NewPCG(3, 4)))
		loss := Sum(Mul(y, y))
		loss.Backward()
		if twice {
			loss.Backward()
		}
		r := result{loss: loss.Item()}
		for _, p := range params {
			r.grads = append(r.grads, slices.Clone(p.Grad))
		}
		return r, loss, []*Tensor{xv, h, ctx, probs, y}
	}
	ref, _, _ := step(true)
	got, loss, inter := step(true)
	before := pooledFloats()
	loss.FreeGraph()
	// h, its Linear output, ctx, probs, Add, the dropout output, Mul: 7
	// buffers of batch·seq·hidden or batch·heads·seq² (= the same here)
	// floats, as far as the pool has room. The dropout masks are bits, too
	// small to pool here.
	if d := pooledFloats() - before; d < 7*batch*seq*hidden && before+7*batch*seq*hidden <= poolMaxFloats {
		t.Errorf("FreeGraph pooled %d floats, want at least %d", d, 7*batch*seq*hidden)
	}
	for i, it := range inter {
		if it.Data != nil || !it.IsLeaf() || it.RequiresGrad() {
			t.Errorf("intermediate %d not emptied and detached: len %d leaf %v", i, len(it.Data), it.IsLeaf())
		}
	}
	if loss.Item() != got.loss || !loss.IsLeaf() {
		t.Errorf("loss after FreeGraph: %v leaf %v, want %v detached", loss.Item(), loss.IsLeaf(), got.loss)
	}
	if !slices.Equal(x.Data, xData) || !slices.Equal(w.Data, wData) || !x.RequiresGrad() {
		t.Fatal("FreeGraph touched a leaf")
	}
	// The pool now holds the freed buffers; a new step reuses them dirty.
	// Poison them: an op that takes an unzeroed output buffer and leaves an
	// element unwritten then shows up as NaN.
	bufPool.Lock()
	for _, l := range bufPool.free {
		for _, b := range l {
			for i := range b {
				b[i] = float32(math.NaN())
			}
		}
	}
	bufPool.Unlock()
	again, _, _ := step(true)
	for i := range ref.grads {
		if !slices.Equal(ref.grads[i], got.grads[i]) || !slices.Equal(ref.grads[i], again.grads[i]) {
			t.Fatalf("param %d: gradients differ after FreeGraph recycled the buffers", i)
		}
	}
	if !slices.Equal(x.Data, xData) {
		t.Fatal("a step after FreeGraph changed the leaf viewed by Reshape (view data was pooled)")
	}
}
