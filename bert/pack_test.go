package bert

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/medbert/medbert/tensor"
)

// TestPackForInference: a packed model answers as the float32 model does
// (up to the order in which the bias is added), saves the same weights
// bit for bit, quantizes to the same int8 model, backpropagates to its
// inputs exactly as before, and refuses to train.
func TestPackForInference(t *testing.T) {
	in, inputs := tinyInput(t)
	ref := loadTiny(t, HeadSeqCls)
	m := loadTiny(t, HeadSeqCls)
	m.PackForInference()
	if !m.Packed() || m.WeightBytes() == 0 {
		t.Fatal("not packed")
	}
	want, err := ref.Forward(in, nil, Options{HiddenStates: true})
	if err != nil {
		t.Fatal(err)
	}
	got, err := m.Forward(in, nil, Options{HiddenStates: true})
	if err != nil {
		t.Fatal(err)
	}
	for i := range want.HiddenStates {
		if d := maxAbsDiff(got.HiddenStates[i].Data, want.HiddenStates[i].Data); d > 2e-5 {
			t.Errorf("hidden state %d differs by %g", i, d)
		}
	}
	if d := maxAbsDiff(got.Logits.Data, want.Logits.Data); d > 2e-5 {
		t.Errorf("logits differ by %g", d)
	}
	if _, err := m.Forward(in, tinyLabels(inputs, HeadSeqCls), Options{Grad: true}); err == nil {
		t.Error("a packed model trained")
	}

	// Saving unpacks: the file holds the same bytes as the original's.
	a, b := t.TempDir(), t.TempDir()
	if err := ref.Save(a); err != nil {
		t.Fatal(err)
	}
	if err := m.Save(b); err != nil {
		t.Fatal(err)
	}
	fa, _ := os.ReadFile(filepath.Join(a, FileSafetensors))
	fb, _ := os.ReadFile(filepath.Join(b, FileSafetensors))
	if !slices.Equal(fa, fb) {
		t.Error("a packed model saves different weights")
	}

	// An input gradient through the packed model equals the float one's.
	grad := func(m *Model) []float32 {
		emb := m.Bert.Embeddings.WordEmbeddings
		x := tensor.Embedding(emb.Weight.Detach(), in.InputIDs, emb.PaddingIdx).Clone()
		x.SetRequiresGrad(true)
		e := *in
		e.InputIDs, e.InputsEmbeds = nil, x
		out, err := m.Forward(&e, nil, Options{})
		if err != nil {
			t.Fatal(err)
		}
		tensor.Sum(out.Logits).Backward()
		return x.Grad
	}
	if !slices.Equal(grad(m), grad(ref)) {
		t.Error("input gradients through the packed model differ")
	}

	// Quantizing a packed model gives the same int8 model.
	q1, q2 := loadTiny(t, HeadSeqCls), loadTiny(t, HeadSeqCls)
	q2.PackForInference()
	if err := q1.Quantize(QuantOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := q2.Quantize(QuantOptions{}); err != nil {
		t.Fatal(err)
	}
	o1, _ := q1.Forward(in, nil, Options{})
	o2, _ := q2.Forward(in, nil, Options{})
	if !slices.Equal(o1.Logits.Data, o2.Logits.Data) {
		t.Error("quantizing a packed model changed the int8 model")
	}
	if math.IsNaN(float64(o2.Logits.Data[0])) {
		t.Error("NaN logits")
	}
}
