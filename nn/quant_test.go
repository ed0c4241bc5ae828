package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/medbert/medbert/tensor"
)

func TestQuantizeWeights(t *testing.T) {
	// Row 0: max 2.54 -> scale 0.02; -1.27 -> -63.5 -> -64 (half away from 0).
	w := []float32{2.54, -1.27, 0.01, 0, 0, 0, 0.5, -0.5, 0.25}
	q, s := QuantizeWeights(w, 3, 3, false)
	if math.Abs(float64(s[0])-0.02) > 1e-9 || q[0] != 127 || q[1] != -64 || q[2] != 1 {
		t.Errorf("row 0: scale %v q %v", s[0], q[:3])
	}
	if s[1] != 1 || q[3] != 0 {
		t.Errorf("zero row: scale %v q %v", s[1], q[3:6])
	}
	if q[6] != 127 || q[7] != -127 || q[8] != 64 {
		t.Errorf("row 2: q %v, want [127 -127 64]", q[6:])
	}
	// Per tensor: one scale (2.54/127) for every row.
	q, s = QuantizeWeights(w, 3, 3, true)
	if s[0] != s[1] || s[1] != s[2] || q[6] != 25 || q[7] != -25 {
		t.Errorf("per tensor: scales %v q %v", s, q)
	}
}

func TestQuantLinearMatchesLinear(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	l := NewLinear(64, 40, true, rng)
	for i := range l.Bias.Data {
		l.Bias.Data[i] = float32(rng.NormFloat64())
	}
	x := tensor.Zeros(2, 5, 64)
	for i := range x.Data {
		x.Data[i] = float32(rng.NormFloat64())
	}
	want := l.Forward(x, false)
	for _, pt := range []bool{false, true} {
		q := QuantizeLinear(l, pt)
		got := q.Forward(x)
		if got.Shape[0] != 2 || got.Shape[1] != 5 || got.Shape[2] != 40 {
			t.Fatalf("shape %v", got.Shape)
		}
		var maxd, maxv float64
		for i := range want.Data {
			maxd = math.Max(maxd, math.Abs(float64(got.Data[i]-want.Data[i])))
			maxv = math.Max(maxv, math.Abs(float64(want.Data[i])))
		}
		// 8-bit weights and 7-bit activations: about 1% of the output range.
		if maxd > 0.02*maxv || maxd == 0 {
			t.Errorf("perTensor=%v: max diff %g for outputs up to %g", pt, maxd, maxv)
		}
		// Rebuilding from the stored form gives the same layer.
		r, err := NewQuantLinear("x", 64, 40, q.Int8(), q.StoredScale(), q.Bias)
		if err != nil {
			t.Fatal(err)
		}
		again := r.Forward(x)
		for i := range again.Data {
			if again.Data[i] != got.Data[i] {
				t.Fatalf("rebuilt layer differs at %d", i)
			}
		}
		if deq := q.Dequantized(); math.Abs(float64(deq[5]-l.Weight.Data[5])) > float64(q.Scale[0])/2+1e-7 {
			t.Errorf("dequantized weight %v vs %v", deq[5], l.Weight.Data[5])
		}
	}
	if _, err := NewQuantLinear("enc.q", 4, 2, make([]int8, 8), []float32{1, 2, 3}, nil); err == nil {
		t.Error("3 scales for 2 outputs: no error")
	}
	if _, err := NewQuantLinear("enc.q", 4, 2, make([]int8, 8), []float32{1, 0}, nil); err == nil {
		t.Error("zero scale: no error")
	}
}

func TestQuantEmbedding(t *testing.T) {
	e := NewEmbedding(10, 8, 0, rand.New(rand.NewPCG(3, 4)))
	q := QuantizeEmbedding(e)
	ids := []int{0, 3, 9, 3}
	got, want := q.Forward(ids), e.Forward(ids, false)
	for i := range want.Data {
		row := ids[i/8]
		if d := math.Abs(float64(got.Data[i] - want.Data[i])); d > float64(q.Scale[row])/2+1e-8 {
			t.Fatalf("value %d: %v vs %v", i, got.Data[i], want.Data[i])
		}
	}
	if got.Data[0] != 0 {
		t.Error("padding row not zero")
	}
}
