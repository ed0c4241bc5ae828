package bert

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/medbert/medbert/tensor"
)

// poolSizedModel is a random seqcls model whose activations are large
// enough for tensor's buffer pool (batch 4 × seq 64 × hidden 64 floats),
// so releasing and reusing buffers is exercised, with a padded input.
func poolSizedModel(t *testing.T) (*Model, *Input) {
	t.Helper()
	c := DefaultConfig()
	c.VocabSize, c.HiddenSize, c.NumHiddenLayers, c.NumAttentionHeads, c.IntermediateSize = 100, 64, 3, 4, 256
	c.MaxPositionEmbeddings = 64
	m, err := New(c, HeadSeqCls, 7)
	if err != nil {
		t.Fatal(err)
	}
	const b, s = 4, 64
	rng := rand.New(rand.NewPCG(8, 9))
	in := &Input{Batch: b, Seq: s, InputIDs: make([]int, b*s), AttentionMask: make([]int, b*s)}
	for i := range in.InputIDs {
		in.InputIDs[i] = 1 + rng.IntN(99)
		if i%s < s-5*(i/s) { // sequence i is padded by 5·i tokens
			in.AttentionMask[i] = 1
		}
	}
	return m, in
}

// poisonPool fills the pool with NaN buffers of every activation size the
// model uses, so an op that reads its output before writing it, or a
// buffer released while still in use, shows up as NaN or wrong values.
func poisonPool(in *Input, hidden, inter int) {
	var ts []*tensor.Tensor
	for _, n := range []int{in.Batch * in.Seq * hidden, in.Batch * in.Seq * inter, in.Seq * in.Seq} {
		for range 8 {
			x := tensor.Empty(n)
			for i := range x.Data {
				x.Data[i] = float32(math.NaN())
			}
			ts = append(ts, x)
		}
	}
	tensor.ReleaseAll(ts...)
}

// TestInferenceReleasesAndPooledOnly: an inference forward that recycles its
// activations (through a poisoned pool) gives the same logits as one that
// keeps every activation (Grad), and the pooled-only forward gives the
// same logits and pooled output while computing only [CLS] in the last
// layer — float32, packed and int8.
func TestInferenceReleasesAndPooledOnly(t *testing.T) {
	for _, kind := range []string{"float32", "packed", "int8"} {
		m, in := poolSizedModel(t)
		ref, err := m.Forward(in, nil, Options{Grad: true, HiddenStates: true}) // keeps everything
		if err != nil {
			t.Fatal(err)
		}
		switch kind {
		case "packed":
			m.PackForInference()
		case "int8":
			if err := m.Quantize(QuantOptions{}); err != nil {
				t.Fatal(err)
			}
			if ref, err = m.Forward(in, nil, Options{HiddenStates: true}); err != nil {
				t.Fatal(err)
			}
		}
		for _, opt := range []Options{{}, {PooledOnly: true}} {
			for round := range 2 {
				poisonPool(in, m.Config.HiddenSize, m.Config.IntermediateSize)
				got, err := m.Forward(in, nil, opt)
				if err != nil {
					t.Fatal(err)
				}
				tol := 2e-5
				if kind == "int8" && opt.PooledOnly {
					tol = 0 // int8 rows quantize on their own: the same bits
				}
				if d := maxAbsDiff(got.Logits.Data, ref.Logits.Data); d > tol || math.IsNaN(d) {
					t.Errorf("%s %+v round %d: logits differ by %g", kind, opt, round, d)
				}
				if d := maxAbsDiff(got.PooledOutput.Data, ref.PooledOutput.Data); d > tol || math.IsNaN(d) {
					t.Errorf("%s %+v round %d: pooled output differs by %g", kind, opt, round, d)
				}
				if opt.PooledOnly {
					h := m.Config.HiddenSize
					if !slices.Equal(got.LastHiddenState.Shape, []int{in.Batch, 1, h}) {
						t.Fatalf("%s: pooled-only last hidden state %v", kind, got.LastHiddenState.Shape)
					}
					for b := range in.Batch {
						cls := ref.LastHiddenState.Data[b*in.Seq*h : b*in.Seq*h+h]
						if d := maxAbsDiff(got.LastHiddenState.Data[b*h:(b+1)*h], cls); d > max(tol, 1e-6)*10 {
							t.Errorf("%s: [CLS] row %d differs by %g", kind, b, d)
						}
					}
				}
			}
		}
	}
}

func TestPooledOnlyRefusals(t *testing.T) {
	m, in := poolSizedModel(t)
	for _, opt := range []Options{
		{PooledOnly: true, Grad: true}, {PooledOnly: true, HiddenStates: true}, {PooledOnly: true, Attentions: true},
		{PooledOnly: true, Dropout: rand.New(rand.NewPCG(1, 1))},
	} {
		if _, err := m.Forward(in, nil, opt); err == nil {
			t.Errorf("%+v accepted", opt)
		}
	}
	tc := loadTiny(t, HeadTokenCls)
	tin, _ := tinyInput(t)
	if _, err := tc.Forward(tin, nil, Options{PooledOnly: true}); err == nil {
		t.Error("pooled-only forward accepted for a head without a pooler")
	}
}

// TestConcurrentReleasingForwards: goroutines running forwards that hand
// their activations to the shared buffer pool (full and pooled-only, on one
// packed model) get the results each gets alone (run with -race).
func TestConcurrentReleasingForwards(t *testing.T) {
	m, in := poolSizedModel(t)
	m.PackForInference()
	opts := []Options{{}, {PooledOnly: true}}
	want := make([][]float32, len(opts))
	for i, o := range opts {
		out, err := m.Forward(in, nil, o)
		if err != nil {
			t.Fatal(err)
		}
		want[i] = out.Logits.Data
	}
	var wg sync.WaitGroup
	errs := make(chan string, 16)
	for g := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range 3 {
				o := (g + r) % len(opts)
				out, err := m.Forward(in, nil, opts[o])
				if err != nil {
					errs <- err.Error()
					return
				}
				if !slices.Equal(out.Logits.Data, want[o]) {
					errs <- fmt.Sprintf("goroutine %d round %d %+v: logits differ from the same forward alone", g, r, opts[o])
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
}
