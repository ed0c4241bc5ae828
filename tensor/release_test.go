package tensor

import (
	"math"
	"testing"
)

func TestRelease(t *testing.T) {
	drainPool()
	defer drainPool()
	n := poolMinLen
	a := Empty(n)
	if len(a.Data) != n {
		t.Fatalf("Empty(%d) has %d values", n, len(a.Data))
	}
	for i := range a.Data {
		a.Data[i] = float32(math.NaN())
	}
	view := Reshape(a, 2, n/2)
	ReleaseAll(a, view, nil) // one buffer, released once
	if a.Data != nil || view.Data != nil {
		t.Error("released tensors still hold data")
	}
	if got := pooledFloats(); got != n {
		t.Fatalf("pool holds %d floats after releasing one buffer of %d", got, n)
	}
	// Empty hands the released buffer out as it is; Zeros clears it.
	if b := Empty(n); !math.IsNaN(float64(b.Data[0])) {
		t.Error("Empty did not reuse the released buffer")
	} else {
		b.Release()
	}
	if z := Zeros(n); z.Data[0] != 0 || z.Data[n-1] != 0 {
		t.Error("Zeros handed out a dirty buffer")
	}
	// Small tensors are dropped, nil is ignored.
	Empty(3).Release()
	(*Tensor)(nil).Release()

	w := Zeros(4)
	w.SetRequiresGrad(true)
	y := Mul(w, w)
	defer func() {
		if recover() == nil {
			t.Error("Release of a tensor in a graph did not panic")
		}
	}()
	y.Release()
}
