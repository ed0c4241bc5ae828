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

// ParallelFor calls f on disjoint ranges [lo, hi) that together cover
// [0, n), in parallel on up to SetMaxThreads (default GOMAXPROCS) goroutines,
// the caller included, and returns when every call has returned. Each range
// holds at least minChunk indices (one range, f(0, n), when n < 2·minChunk
// or only one thread is allowed); there are at most 4 ranges per thread, so
// uneven ranges balance out. It uses the kernels' worker pool, so the thread
// cap covers it, and it may be called from inside another ParallelFor's f or
// a running kernel: when no worker is idle, the nested call runs inline.
// f must be safe to call concurrently on disjoint ranges and must not panic
// (a panic on a worker stops the program).
func ParallelFor(n, minChunk int, f func(lo, hi int)) {
	if n <= 0 {
		return
	}
	nt := threads()
	chunks := min(n/max(minChunk, 1), 4*nt)
	if nt <= 1 || chunks <= 1 {
		f(0, n)
		return
	}
	parallelFor(nt, chunks, &rangeTask{n: n, chunks: chunks, f: f})
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
