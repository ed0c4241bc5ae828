package tensor

import (
	"errors"
	"fmt"

	"github.com/medbert/medbert/kernels"
)

// RowGrad is a row-sparse gradient of a (V, D) table: the distinct rows a
// backward pass touched, in first-touch order, each with its D accumulated
// values. An embedding lookup over a batch touches at most one row per
// token, so for a BERT vocabulary (V ≈ 29k) the gradient of a step is a few
// MiB instead of the V·D dense buffer.
//
// A row's values are summed exactly as the dense gradient's row would be
// (zero, then one kernels.Axpy per occurrence, in the same order), so they
// are the same bits. Reset empties it but keeps its buffers, so the steps of
// a training run do not allocate once the largest batch has been seen.
type RowGrad struct {
	numRows, width int
	slot           []int32 // row -> index in rows + 1; 0: untouched. Allocated on first use.
	rows           []int
	vals           []float32 // len(rows)·width values, row rows[k] at [k·width, (k+1)·width)
}

// NewRowGrad returns an empty row-sparse gradient for a (numRows, width)
// table.
func NewRowGrad(numRows, width int) *RowGrad {
	if numRows < 0 || width <= 0 {
		panic(fmt.Sprintf("tensor: NewRowGrad: bad shape (%d, %d)", numRows, width))
	}
	return &RowGrad{numRows: numRows, width: width}
}

// Shape returns the (numRows, width) of the table the gradient belongs to.
func (g *RowGrad) Shape() (numRows, width int) { return g.numRows, g.width }

// Len returns the number of touched rows.
func (g *RowGrad) Len() int { return len(g.rows) }

// Rows returns the touched rows in first-touch order (not a copy; valid
// until the next Reset or accumulation).
func (g *RowGrad) Rows() []int { return g.rows }

// Row returns the accumulated values of the k-th touched row, Rows()[k]
// (not a copy).
func (g *RowGrad) Row(k int) []float32 { return g.vals[k*g.width : (k+1)*g.width] }

// RowGrads returns the touched rows, their values (row rows[k] at
// vals[k·width:(k+1)·width]) and the width, without copying. It is the
// optim.RowSparse view of the gradient.
func (g *RowGrad) RowGrads() (rows []int, vals []float32, width int) {
	return g.rows, g.vals, g.width
}

// Reset forgets every touched row, keeping the buffers for the next step.
func (g *RowGrad) Reset() {
	for _, r := range g.rows {
		g.slot[r] = 0
	}
	g.rows = g.rows[:0]
	g.vals = g.vals[:0]
}

// Dense returns the gradient as a new numRows·width slice, zero in the
// untouched rows (for tests and tools: it is the allocation RowGrad avoids).
func (g *RowGrad) Dense() []float32 {
	d := make([]float32, g.numRows*g.width)
	for k, r := range g.rows {
		copy(d[r*g.width:(r+1)*g.width], g.Row(k))
	}
	return d
}

// AddRow adds x (width values) into row r's gradient.
func (g *RowGrad) AddRow(r int, x []float32) {
	if len(x) != g.width {
		panic(fmt.Sprintf("tensor: RowGrad.AddRow: %d values for width %d", len(x), g.width))
	}
	kernels.Axpy(1, x, g.row(r))
}

// reserve makes room for n more rows (at most the whole table) in one
// allocation: growing row by row through append would leave a trail of
// discarded copies summing to several times the final size.
func (g *RowGrad) reserve(n int) {
	want := min(len(g.rows)+n, g.numRows)
	if cap(g.vals) < want*g.width {
		v := make([]float32, len(g.vals), want*g.width)
		copy(v, g.vals)
		g.vals = v
	}
	if cap(g.rows) < want {
		g.rows = append(make([]int, 0, want), g.rows...)
	}
}

// row returns row r's accumulator, adding it zeroed if untouched.
func (g *RowGrad) row(r int) []float32 {
	if r < 0 || r >= g.numRows {
		panic(fmt.Sprintf("tensor: RowGrad: row %d outside [0, %d)", r, g.numRows))
	}
	if g.slot == nil {
		g.slot = make([]int32, g.numRows)
	}
	if s := g.slot[r]; s != 0 {
		return g.Row(int(s) - 1)
	}
	g.rows = append(g.rows, r)
	g.slot[r] = int32(len(g.rows))
	n := len(g.vals)
	if cap(g.vals) >= n+g.width {
		g.vals = g.vals[:n+g.width]
		clear(g.vals[n:])
	} else {
		g.vals = append(g.vals, make([]float32, g.width)...)
	}
	return g.vals[n:]
}

var (
	errRowSparseShape = errors.New("tensor: SetRowSparseGrad: needs a 2-D tensor")
	errRowSparseLeaf  = errors.New("tensor: SetRowSparseGrad: needs a leaf tensor (a parameter)")
)

// SetRowSparseGrad switches where the embedding lookup (Embedding) puts the
// gradient of the leaf 2-D table t: with on, into a RowGrad (t.RowGrad())
// instead of the dense t.Grad; off drops the RowGrad. It refuses a tensor
// that is not 2-D or not a leaf.
//
// Only Embedding writes the RowGrad. Any other op whose backward reaches t
// still accumulates into the dense Grad (allocating it), so turn this on
// only for a table nothing else reads with a graph — not a word-embedding
// table tied to an MLM decoder; a caller that keeps Grad nil can detect the
// misuse by Grad becoming non-nil.
func (t *Tensor) SetRowSparseGrad(on bool) error {
	if !on {
		t.rowGrad = nil
		return nil
	}
	if t.Dims() != 2 || t.Shape[1] == 0 {
		return fmt.Errorf("%w with rows of at least one value, got shape %v", errRowSparseShape, t.Shape)
	}
	if !t.IsLeaf() {
		return errRowSparseLeaf
	}
	if t.rowGrad == nil {
		t.rowGrad = NewRowGrad(t.Shape[0], t.Shape[1])
	}
	return nil
}

// RowGrad returns the row-sparse gradient of t, nil unless SetRowSparseGrad
// turned it on.
func (t *Tensor) RowGrad() *RowGrad { return t.rowGrad }
