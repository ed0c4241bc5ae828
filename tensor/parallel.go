package tensor

import "github.com/medbert/medbert/kernels"

// parallelBlocks calls f(b) for every b in [0, n) on the kernels' worker
// pool (the caller included), so --threads (kernels.SetMaxThreads) caps it
// like every kernel. It is for element-wise work outside the kernels
// package (dropout's random streams) where each block is at least tens of
// microseconds. f must only write memory owned by its block; results must
// not depend on which goroutine runs a block.
func parallelBlocks(n int, f func(b int)) {
	kernels.ParallelFor(n, 1, func(lo, hi int) {
		for b := lo; b < hi; b++ {
			f(b)
		}
	})
}
