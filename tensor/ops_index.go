package tensor

import (
	"fmt"

	"github.com/medbert/medbert/kernels"
)

// Reshape returns a view of t with a new shape sharing t's data; one
// dimension may be -1 and is inferred. Backward: dt += dy (same layout).
func Reshape(t *Tensor, shape ...int) *Tensor {
	s := make([]int, len(shape))
	copy(s, shape)
	infer, known := -1, 1
	for i, d := range s {
		switch {
		case d == -1 && infer < 0:
			infer = i
		case d < 0:
			panic(fmt.Sprintf("tensor: Reshape: bad shape %v", shape))
		default:
			known *= d
		}
	}
	if infer >= 0 && known > 0 {
		s[infer] = t.Size() / known
	}
	if numel(s) != t.Size() {
		panic(fmt.Sprintf("tensor: Reshape: %v to %v changes the size", t.Shape, shape))
	}
	y := &Tensor{Data: t.Data, Shape: s}
	if tracking(t) {
		y.record(func(dy []float32) { kernels.Axpy(1, dy, t.grad()) }, t)
		y.node.view = true
	}
	return y
}

// Embedding gathers rows of weight:
//
//	weight is (V, D), ids has n entries in [0, V); y is (n, D), y[i] = weight[ids[i]].
//
// As torch's padding_idx, the row paddingIdx receives no gradient (its value
// is still gathered); paddingIdx < 0 means none. Backward scatter-adds dy rows
// into weight's gradient: its RowGrad when SetRowSparseGrad turned that on
// (the same sums, bit for bit, without the dense V·D buffer), else Grad.
func Embedding(weight *Tensor, ids []int, paddingIdx int) *Tensor {
	if weight.Dims() != 2 {
		panic(fmt.Sprintf("tensor: Embedding: weight must be 2-D, got %v", weight.Shape))
	}
	v, d := weight.Shape[0], weight.Shape[1]
	y := Zeros(len(ids), d)
	for i, id := range ids {
		if id < 0 || id >= v {
			panic(fmt.Sprintf("tensor: Embedding: id %d at %d outside [0, %d)", id, i, v))
		}
		copy(y.Data[i*d:(i+1)*d], weight.Data[id*d:(id+1)*d])
	}
	if tracking(weight) {
		y.record(func(dy []float32) {
			if rg := weight.rowGrad; rg != nil {
				rg.reserve(len(ids))
				for i, id := range ids {
					if id != paddingIdx {
						kernels.Axpy(1, dy[i*d:(i+1)*d], rg.row(id))
					}
				}
				return
			}
			dw := weight.grad()
			for i, id := range ids {
				if id != paddingIdx {
					kernels.Axpy(1, dy[i*d:(i+1)*d], dw[id*d:(id+1)*d])
				}
			}
		}, weight)
	}
	return y
}

// SelectRows picks rows of t viewed as (N, D) with D its last dimension:
// y is (len(rows), D), y[i] = t[rows[i]] (for example the [CLS] row of every
// sequence). Backward scatter-adds dy rows into dt.
func SelectRows(t *Tensor, rows []int) *Tensor {
	d := t.lastDim()
	if t.Dims() < 1 || d == 0 {
		panic(fmt.Sprintf("tensor: SelectRows: bad input %v", t.Shape))
	}
	n := t.Size() / d
	y := Zeros(len(rows), d)
	for i, r := range rows {
		if r < 0 || r >= n {
			panic(fmt.Sprintf("tensor: SelectRows: row %d outside [0, %d)", r, n))
		}
		copy(y.Data[i*d:(i+1)*d], t.Data[r*d:(r+1)*d])
	}
	if tracking(t) {
		y.record(func(dy []float32) {
			dt := t.grad()
			for i, r := range rows {
				kernels.Axpy(1, dy[i*d:(i+1)*d], dt[r*d:(r+1)*d])
			}
		}, t)
	}
	return y
}

// SliceLast returns columns [from, to) of t's last dimension as a new
// contiguous tensor: (..., D) -> (..., to-from). QA uses it to split the
// (B·S, 2) logits into start and end. Backward adds dy into those columns.
func SliceLast(t *Tensor, from, to int) *Tensor {
	d := t.lastDim()
	if t.Dims() < 1 || from < 0 || to > d || from > to {
		panic(fmt.Sprintf("tensor: SliceLast: [%d, %d) of %v", from, to, t.Shape))
	}
	w := to - from
	rows := 0
	if d > 0 {
		rows = t.Size() / d
	}
	y := Zeros(withLast(t.Shape, w)...)
	for r := 0; r < rows; r++ {
		copy(y.Data[r*w:(r+1)*w], t.Data[r*d+from:r*d+to])
	}
	if tracking(t) {
		y.record(func(dy []float32) {
			dt := t.grad()
			for r := 0; r < rows; r++ {
				kernels.Axpy(1, dy[r*w:(r+1)*w], dt[r*d+from:r*d+to])
			}
		}, t)
	}
	return y
}
