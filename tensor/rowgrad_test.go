package tensor

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// embedTable returns a (v, d) leaf that requires a gradient, with random
// values.
func embedTable(r *rand.Rand, v, d int) *Tensor {
	w := Zeros(v, d)
	for i := range w.Data {
		w.Data[i] = float32(r.NormFloat64())
	}
	w.SetRequiresGrad(true)
	return w
}

// embedLoss is sum(Embedding(w, ids) ⊙ c) for a fixed random c, so
// d(loss)/d(row) is the sum of the c rows of every occurrence.
func embedLoss(w *Tensor, ids []int, pad int, c []float32) *Tensor {
	y := Embedding(w, ids, pad)
	return Sum(Mul(y, New(c, len(ids), w.Shape[1])))
}

// TestEmbeddingRowGradMatchesDense: the row-sparse gradient holds exactly
// the touched rows, in first-touch order, with the dense gradient's bits
// (repeated ids, the padding row skipped, two backward passes
// accumulating), the other rows of the dense gradient are zero, and
// ZeroGrad empties it.
func TestEmbeddingRowGradMatchesDense(t *testing.T) {
	const v, d, pad = 50, 37, 3 // an odd width: vector body and tail
	r := rand.New(rand.NewPCG(1, 2))
	dense := embedTable(r, v, d)
	sparse := dense.Clone()
	sparse.SetRequiresGrad(true)
	if err := sparse.SetRowSparseGrad(true); err != nil {
		t.Fatal(err)
	}
	passes := [][]int{
		{7, 3, 7, 49, 0, 7, 12, 3, 12},
		{12, 5, 3, 5, 5, 0},
	}
	for _, ids := range passes {
		c := make([]float32, len(ids)*d)
		for i := range c {
			c[i] = float32(r.NormFloat64())
		}
		embedLoss(dense, ids, pad, c).Backward()
		embedLoss(sparse, ids, pad, c).Backward()
	}
	if sparse.Grad != nil {
		t.Fatal("the row-sparse path allocated a dense gradient")
	}
	rg := sparse.RowGrad()
	if want := []int{7, 49, 0, 12, 5}; !slices.Equal(rg.Rows(), want) {
		t.Fatalf("rows %v, want %v (first-touch order, no padding row)", rg.Rows(), want)
	}
	touched := map[int]bool{}
	for k, row := range rg.Rows() {
		touched[row] = true
		want := dense.Grad[row*d : (row+1)*d]
		for j, g := range rg.Row(k) {
			if math.Float32bits(g) != math.Float32bits(want[j]) {
				t.Fatalf("row %d[%d]: %v, dense %v", row, j, g, want[j])
			}
		}
	}
	for row := 0; row < v; row++ {
		if touched[row] {
			continue
		}
		for _, g := range dense.Grad[row*d : (row+1)*d] {
			if g != 0 {
				t.Fatalf("dense row %d is %v though the sparse gradient lacks it", row, g)
			}
		}
	}
	if got := rg.Dense(); !slices.Equal(got, dense.Grad) {
		t.Fatal("Dense() differs from the dense gradient")
	}
	rows, vals, width := rg.RowGrads()
	if len(rows) != 5 || len(vals) != 5*d || width != d || &vals[0] != &rg.Row(0)[0] {
		t.Fatalf("RowGrads: %d rows, %d values, width %d", len(rows), len(vals), width)
	}

	sparse.ZeroGrad()
	if rg.Len() != 0 || len(rg.Rows()) != 0 {
		t.Fatalf("after ZeroGrad: %d rows", rg.Len())
	}
	// A row touched again after Reset starts from zero, not from the
	// values left in the kept buffer.
	c := []float32{1, 2}
	w2 := embedTable(r, 4, 2)
	if err := w2.SetRowSparseGrad(true); err != nil {
		t.Fatal(err)
	}
	embedLoss(w2, []int{2}, -1, c).Backward()
	w2.ZeroGrad()
	embedLoss(w2, []int{1}, -1, []float32{5, 7}).Backward()
	if g := w2.RowGrad(); !slices.Equal(g.Rows(), []int{1}) || !slices.Equal(g.Row(0), []float32{5, 7}) {
		t.Fatalf("after Reset: rows %v values %v, want [1] [5 7]", g.Rows(), g.Row(0))
	}
	if !slices.Equal(w2.RowGrad().Dense(), []float32{0, 0, 5, 7, 0, 0, 0, 0}) {
		t.Fatalf("Dense %v", w2.RowGrad().Dense())
	}
}

// TestRowGradKeepsCapacity: once the largest step has been seen, Reset and
// accumulate again allocate nothing.
func TestRowGradKeepsCapacity(t *testing.T) {
	g := NewRowGrad(100, 8)
	x := make([]float32, 8)
	fill := func() {
		for r := 0; r < 100; r += 3 {
			g.AddRow(r, x)
		}
	}
	fill()
	g.Reset()
	if a := testing.AllocsPerRun(10, func() { fill(); g.Reset() }); a != 0 {
		t.Errorf("%v allocations per step after warm-up", a)
	}
}

func TestSetRowSparseGradRefuses(t *testing.T) {
	if err := Zeros(3, 4, 5).SetRowSparseGrad(true); err == nil {
		t.Error("3-D tensor accepted")
	}
	if err := Zeros(12).SetRowSparseGrad(true); err == nil {
		t.Error("1-D tensor accepted")
	}
	if err := Zeros(3, 0).SetRowSparseGrad(true); err == nil {
		t.Error("zero-width table accepted")
	}
	w := Zeros(3, 4)
	w.SetRequiresGrad(true)
	y := Scale(w, 2)
	if err := y.SetRowSparseGrad(true); err == nil {
		t.Error("non-leaf accepted")
	}
	if err := w.SetRowSparseGrad(true); err != nil || w.RowGrad() == nil {
		t.Fatalf("leaf refused: %v", err)
	}
	if err := w.SetRowSparseGrad(false); err != nil || w.RowGrad() != nil {
		t.Fatalf("off: %v, RowGrad %v", err, w.RowGrad())
	}
	// Off again: Embedding's backward writes the dense gradient.
	Sum(Embedding(w, []int{1}, -1)).Backward()
	if w.Grad == nil || w.Grad[4] != 1 {
		t.Fatalf("dense gradient after turning row-sparse off: %v", w.Grad)
	}
}
