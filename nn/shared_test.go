package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/medbert/medbert/tensor"
)

// TestForwardShared: query/key/value-like layers run together give the
// bits each layer's Forward gives — packed, int8, mixed kernels (run one
// by one), and an input that needs a gradient (recorded, one by one).
func TestForwardShared(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const in = 40
	x := tensor.New(make([]float32, 2*9*in), 2, 9, in)
	for i := range x.Data {
		x.Data[i] = float32(rng.NormFloat64())
	}
	layers := func(kind string) []*Linear {
		ls := []*Linear{NewLinear(in, in, true, rng), NewLinear(in, 24, false, rng), NewLinear(in, in, true, rng)}
		for i, l := range ls {
			switch {
			case kind == "packed", kind == "mixed" && i != 1:
				l.Infer = PackLinear(l)
			case kind == "int8":
				l.Infer = QuantizeLinear(l, false)
			}
		}
		return ls
	}
	for _, kind := range []string{"packed", "int8", "mixed", "float32"} {
		ls := layers(kind)
		got := ForwardShared(x, ls...)
		for i, l := range ls {
			want := l.Forward(x, false)
			if len(got[i].Shape) != 3 || got[i].Shape[2] != want.Shape[2] || len(got[i].Data) != len(want.Data) {
				t.Fatalf("%s layer %d: shape %v, want %v", kind, i, got[i].Shape, want.Shape)
			}
			for j := range want.Data {
				if math.Float32bits(got[i].Data[j]) != math.Float32bits(want.Data[j]) {
					t.Fatalf("%s layer %d: [%d] = %g, Forward gives %g", kind, i, j, got[i].Data[j], want.Data[j])
				}
			}
		}
	}
	xg := x.Clone()
	xg.SetRequiresGrad(true)
	ys := ForwardShared(xg, layers("packed")...)
	tensor.Sum(tensor.Add(ys[0], ys[2])).Backward()
	if xg.Grad == nil {
		t.Error("an input that needs a gradient got none through ForwardShared")
	}
}
