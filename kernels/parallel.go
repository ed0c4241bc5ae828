package kernels

import "math"

var negInf = float32(math.Inf(-1))

// rowParallelMin is the element count from which row kernels split their
// rows over the worker pool.
const rowParallelMin = 1 << 16

// rangeTask splits [0, n) into chunks for parallelFor.
type rangeTask struct {
	n, chunks int
	f         func(lo, hi int)
}

func (r *rangeTask) task(_ *workspace, t int) {
	r.f(t*r.n/r.chunks, (t+1)*r.n/r.chunks)
}

// rowsParallel calls f on disjoint row ranges covering [0, rows), in parallel
// when the matrix is large. f must only touch its own rows.
func rowsParallel(rows, cols int, f func(r0, r1 int)) {
	nt := threads()
	if nt <= 1 || rows < 2 || rows*cols < rowParallelMin {
		f(0, rows)
		return
	}
	chunks := min(rows, 4*nt)
	parallelFor(nt, chunks, &rangeTask{n: rows, chunks: chunks, f: f})
}

// chunksParallel calls f on disjoint ranges of [0, n), in parallel when n is
// large; ranges start at multiples of 8 except possibly the last tail.
func chunksParallel(n int, f func(lo, hi int)) {
	nt := threads()
	if nt <= 1 || n < rowParallelMin {
		f(0, n)
		return
	}
	blocks := (n + 7) / 8
	chunks := 4 * nt
	parallelFor(nt, chunks, &rangeTask{n: blocks, chunks: chunks, f: func(lo, hi int) {
		f(lo*8, min(hi*8, n))
	}})
}
