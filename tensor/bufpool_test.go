package tensor

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestBufPoolReusesZeroed(t *testing.T) {
	n := poolMinLen + 3
	b := newBuf(n)
	for i := range b {
		b[i] = 7
	}
	before := pooledFloats()
	freeBuf(b)
	if got := pooledFloats(); got != before+n {
		t.Fatalf("pool holds %d floats after freeing %d, want %d", got, n, before+n)
	}
	c := newBuf(n)
	if &c[0] != &b[0] {
		t.Error("a freed buffer of the same length was not reused")
	}
	for i, v := range c {
		if v != 0 {
			t.Fatalf("reused buffer not zeroed at %d: %v", i, v)
		}
	}
	freeBuf(make([]float32, 10)) // small: ignored
	freeBuf(make([]float32, n, n+1))
	if got := pooledFloats(); got != before {
		t.Errorf("small or resliced buffers entered the pool: %d floats, want %d", got, before)
	}
}

// TestBackwardRecyclesGradients runs a block large enough for the pool
// (Linear, GELU, attention with dropout, LayerNorm, dropout) twice: the
// second pass runs on recycled, dirty buffers and must give bit-identical
// gradients, and the first pass must have returned its dropped
// intermediate gradients to the pool.
func TestBackwardRecyclesGradients(t *testing.T) {
	const batch, seq, hidden, heads = 2, 64, 128, 4 // 16K-element activations
	rng := rand.New(rand.NewPCG(5, 5))
	x := randTensor(rng, 1, batch*seq, hidden)
	w := randTensor(rng, 0.1, hidden, hidden)
	bias := randTensor(rng, 0.1, hidden)
	g := randTensor(rng, 1, hidden)
	beta := randTensor(rng, 1, hidden)
	params := []*Tensor{x, w, bias, g, beta}
	for _, p := range params {
		p.SetRequiresGrad(true)
	}
	step := func() [][]float32 {
		ZeroGrad(params...)
		h := GELU(Linear(x, w, bias))
		ctx, _ := AttentionDropout(h, h, h, batch, seq, heads, nil, 0.1, rand.New(rand.NewPCG(1, 2)))
		y := Dropout(LayerNorm(Add(ctx, x), g, beta, 1e-12), 0.1, rand.New(rand.NewPCG(3, 4)))
		Sum(Mul(y, y)).Backward()
		var out [][]float32
		for _, p := range params {
			out = append(out, slices.Clone(p.Grad))
		}
		return out
	}
	first := step()
	if pooledFloats() < batch*seq*hidden {
		t.Errorf("pool holds %d floats after Backward; dropped gradients were not recycled", pooledFloats())
	}
	second := step()
	for i := range first {
		if !slices.Equal(first[i], second[i]) {
			t.Fatalf("param %d: gradients differ when computed on recycled buffers", i)
		}
	}
}

// TestBufPoolEvictsOtherLengths fills a shrunken pool with one length, then
// frees a buffer of another length: it must evict the old length to fit
// instead of being dropped.
func TestBufPoolEvictsOtherLengths(t *testing.T) {
	old := poolMaxFloats
	defer func() { poolMaxFloats = old }()
	drainPool()
	n, m := poolMinLen, poolMinLen+1
	poolMaxFloats = 3 * n
	for range 3 {
		freeBuf(make([]float32, n))
	}
	if got := pooledFloats(); got != 3*n {
		t.Fatalf("pool holds %d floats, want %d", got, 3*n)
	}
	b := make([]float32, m)
	freeBuf(b)
	if got := pooledFloats(); got != n+m {
		t.Fatalf("after freeing a new length the pool holds %d floats, want %d (two old buffers evicted)", got, n+m)
	}
	if c := newBuf(m); &c[0] != &b[0] {
		t.Error("the buffer of the new length was not kept")
	}
	drainPool()
}

// drainPool empties the pool (tests only).
func drainPool() {
	bufPool.Lock()
	bufPool.free, bufPool.floats = nil, 0
	bufPool.Unlock()
}
