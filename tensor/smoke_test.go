package tensor

import "testing"

func TestSmokeLinear(t *testing.T) {
	x := New([]float32{1, 2}, 1, 2)
	w := New([]float32{1, 0, 0, 1, 1, 1}, 3, 2)
	b := New([]float32{0.5, 0, -1}, 3)
	w.SetRequiresGrad(true)
	y := Linear(x, w, b)
	want := []float32{1.5, 2, 2}
	for i := range want {
		if y.Data[i] != want[i] {
			t.Fatalf("y=%v", y.Data)
		}
	}
	Sum(y).Backward()
	if w.Grad[0] != 1 || w.Grad[1] != 2 {
		t.Fatalf("grad %v", w.Grad)
	}
}
