package bert

import (
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/medbert/medbert/tensor"
)

// TestGradModePerCall runs, at the same time, inference goroutines and an
// attribution (a backward to the input embeddings) on one model, and
// training steps on another, and expects each result to be bit-identical
// to the same work done alone: whether a call records a graph is decided
// per call, so no goroutine can switch another's mode (run with -race).
func TestGradModePerCall(t *testing.T) {
	in, inputs := tinyInput(t)
	served := loadTiny(t, HeadSeqCls)
	labels := tinyLabels(inputs, HeadSeqCls)

	infer := func() []float32 {
		out, err := served.Forward(in, nil, Options{})
		if err != nil {
			t.Error(err)
			return nil
		}
		return out.Logits.Data
	}
	// d(logit of class 0 summed over the batch)/d(input embeddings), with
	// the parameters read through detached views (Grad false).
	attribute := func() []float32 {
		emb := served.Bert.Embeddings.WordEmbeddings
		x := tensor.Embedding(emb.Weight.Detach(), in.InputIDs, emb.PaddingIdx).Clone()
		x.SetRequiresGrad(true)
		e := *in
		e.InputIDs, e.InputsEmbeds = nil, x
		out, err := served.Forward(&e, nil, Options{})
		if err != nil {
			t.Error(err)
			return nil
		}
		tensor.Sum(tensor.SliceLast(out.Logits, 0, 1)).Backward()
		return x.Grad
	}
	train := func() []float32 {
		m := loadTiny(t, HeadSeqCls)
		rng := rand.New(rand.NewPCG(1, 2))
		for range 3 {
			out, err := m.Forward(in, labels, Options{Grad: true, Dropout: rng})
			if err != nil {
				t.Error(err)
				return nil
			}
			out.Loss.Backward()
			out.Loss.FreeGraph()
			for _, p := range m.Params() {
				for i, g := range p.T.Grad {
					p.T.Data[i] -= 0.1 * g
				}
			}
			m.ZeroGrad()
		}
		return m.SeqCls.Classifier.Weight.Data
	}

	wantInfer, wantAttr, wantTrain := infer(), attribute(), train()
	if wantAttr == nil || slices.Equal(wantTrain, served.SeqCls.Classifier.Weight.Data) {
		t.Fatal("the reference runs did nothing")
	}
	var wg sync.WaitGroup
	results := make([][]float32, 8)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			switch i {
			case 0:
				results[i] = train()
			case 1:
				results[i] = attribute()
			default:
				results[i] = infer()
			}
		}()
	}
	wg.Wait()
	for i, got := range results {
		want := wantInfer
		switch i {
		case 0:
			want = wantTrain
		case 1:
			want = wantAttr
		}
		if !slices.Equal(got, want) {
			t.Errorf("goroutine %d: result differs from the same work done alone", i)
		}
	}
	for _, p := range served.Params() {
		if p.T.Grad != nil {
			t.Fatalf("%s: inference or attribution wrote a parameter gradient", p.Name)
		}
	}
}
