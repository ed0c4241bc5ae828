package bert

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestMLMTrainingDecodesLabelledRows checks the training-mode MLM path that
// decodes only the labelled positions against the golden HF gradients: with
// every dropout set to 0, training mode must give HF's loss and the
// gradient of every parameter, and its logits must be the labelled rows of
// the eval-mode (B, S, V) logits.
func TestMLMTrainingDecodesLabelledRows(t *testing.T) {
	in, inputs := tinyInput(t)
	labels := tinyLabels(inputs, HeadMLM)
	g := openGolden(t, "grads_"+HeadMLM+".safetensors")
	m := loadTiny(t, HeadMLM)
	noDropout(m)

	full, err := m.Forward(in, labels, Options{})
	if err != nil {
		t.Fatal(err)
	}
	out, err := m.Forward(in, labels, Options{Grad: true, Dropout: rand.New(rand.NewPCG(1, 2))})
	if err != nil {
		t.Fatal(err)
	}
	v := m.Config.VocabSize
	var rows []int
	for i, l := range labels.Class {
		if l != IgnoreIndex {
			rows = append(rows, i)
		}
	}
	if len(rows) == 0 || len(rows) == len(labels.Class) {
		t.Fatalf("golden labels mark %d of %d positions; the test needs some ignored", len(rows), len(labels.Class))
	}
	if !slices.Equal(out.Logits.Shape, []int{len(rows), v}) {
		t.Fatalf("training logits shape %v, want [%d %d]", out.Logits.Shape, len(rows), v)
	}
	for j, r := range rows {
		if d := maxAbsDiff(out.Logits.Data[j*v:(j+1)*v], full.Logits.Data[r*v:(r+1)*v]); d > 1e-5 {
			t.Fatalf("logits of labelled row %d differ from the full decode by %g", r, d)
		}
	}
	expectClose(t, g, "loss", out.Loss, tolForward)
	out.Loss.Backward()
	for _, p := range m.Params() {
		want, _ := g.f32("grad." + p.Name)
		got := p.T.Grad
		if got == nil {
			got = make([]float32, p.T.Size())
		}
		if maxAbs(want) == 0 {
			if d := maxAbs(got); d > tolZeroGrd {
				t.Errorf("%s: analytically zero gradient has max |g| %.3g", p.Name, d)
			}
			continue
		}
		checkGrad(t, "grad."+p.Name, got, want)
	}

	// Nothing labelled: no rows to decode, and the loss is NaN as torch's.
	none := &Labels{Class: make([]int, len(labels.Class))}
	for i := range none.Class {
		none.Class[i] = IgnoreIndex
	}
	out, err = m.Forward(in, none, Options{Grad: true, Dropout: rand.New(rand.NewPCG(1, 2))})
	if err != nil {
		t.Fatal(err)
	}
	if l := out.Loss.Item(); !math.IsNaN(float64(l)) || out.Logits.Size() != 0 {
		t.Errorf("no labelled position: loss %v, logits %v; want NaN and empty", l, out.Logits.Shape)
	}
}

// noDropout turns every dropout of m off, so training mode computes what
// eval mode does.
func noDropout(m *Model) {
	m.Bert.Embeddings.Dropout = 0
	for _, l := range m.Bert.Encoder.Layers {
		l.Attention.Self.Dropout = 0
		l.Attention.Output.Dropout = 0
		l.Output.Dropout = 0
	}
}
