package optim

import (
	"fmt"
	"slices"
	"sort"
)

// RowSparse is a row-sparse gradient of a parameter viewed as (rows, width):
// the rows a step touched (distinct, any order) and their values, row
// rows[k] at vals[k·width:(k+1)·width]; every other row's gradient is zero.
// tensor.RowGrad implements it (an embedding table's gradient, which a batch
// touches in at most one row per token).
type RowSparse interface {
	RowGrads() (rows []int, vals []float32, width int)
}

// sparseView is one step's snapshot of a RowSparse gradient with the rows
// in increasing order, so a range of the flat parameter can be walked as
// alternating zero and touched pieces in element order.
type sparseView struct {
	width int
	rows  []int       // sorted
	vals  [][]float32 // vals[k] is row rows[k]'s gradient
	flat  []float32   // every touched value (for in-place scaling)
}

// viewOf validates p's sparse gradient against its Data and sorts it.
func viewOf(p Param) (*sparseView, error) {
	rows, vals, w := p.Sparse.RowGrads()
	if w <= 0 || len(p.Data)%w != 0 {
		return nil, fmt.Errorf("optim: %s: sparse gradient width %d does not divide %d elements", p.Name, w, len(p.Data))
	}
	if len(vals) != len(rows)*w {
		return nil, fmt.Errorf("optim: %s: sparse gradient has %d values for %d rows of %d", p.Name, len(vals), len(rows), w)
	}
	n := len(p.Data) / w
	order := make([]int, len(rows))
	for k := range order {
		order[k] = k
	}
	slices.SortFunc(order, func(a, b int) int { return rows[a] - rows[b] })
	s := &sparseView{width: w, rows: make([]int, len(rows)), vals: make([][]float32, len(rows)), flat: vals}
	for i, k := range order {
		r := rows[k]
		if r < 0 || r >= n {
			return nil, fmt.Errorf("optim: %s: sparse gradient row %d outside [0, %d)", p.Name, r, n)
		}
		if i > 0 && r == s.rows[i-1] {
			return nil, fmt.Errorf("optim: %s: sparse gradient lists row %d twice", p.Name, r)
		}
		s.rows[i], s.vals[i] = r, vals[k*w:(k+1)*w]
	}
	return s, nil
}

// segments calls fn for consecutive pieces covering [lo, hi) of the flat
// parameter in increasing order: g is the gradient of [a, b), nil where it
// is zero (untouched rows).
func (s *sparseView) segments(lo, hi int, fn func(a, b int, g []float32)) {
	w := s.width
	k := sort.Search(len(s.rows), func(k int) bool { return (s.rows[k]+1)*w > lo })
	for pos := lo; pos < hi; {
		if k < len(s.rows) && s.rows[k]*w <= pos {
			start := s.rows[k] * w
			end := min(hi, start+w)
			fn(pos, end, s.vals[k][pos-start:end-start])
			pos = end
			k++
			continue
		}
		end := hi
		if k < len(s.rows) {
			end = min(hi, s.rows[k]*w)
		}
		fn(pos, end, nil)
		pos = end
	}
}

// views snapshots the sparse gradients of params (nil entries for dense
// ones).
func views(params []Param) ([]*sparseView, error) {
	var vs []*sparseView
	for i, p := range params {
		if p.Sparse == nil {
			continue
		}
		if vs == nil {
			vs = make([]*sparseView, len(params))
		}
		v, err := viewOf(p)
		if err != nil {
			return nil, err
		}
		vs[i] = v
	}
	return vs, nil
}

// gradLen is the number of gradient elements of param i that a block split
// covers: the dense Grad, or all of Data for a sparse gradient (whose
// untouched rows count as zeros).
func gradLen(params []Param, i int) int {
	if params[i].Sparse != nil {
		return len(params[i].Data)
	}
	return len(params[i].Grad)
}
