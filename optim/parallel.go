package optim

import "github.com/medbert/medbert/kernels"

// blockSize splits tensors into chunks so both elementwise updates and norm
// partials can run on all cores. The split depends only on tensor sizes,
// never on the number of workers, so results are identical for any
// GOMAXPROCS.
const blockSize = 1 << 16

type block struct{ param, lo, hi int }

func blocksOf(sizes func(i int) int, n int) []block {
	var bs []block
	for i := 0; i < n; i++ {
		sz := sizes(i)
		for lo := 0; lo < sz; lo += blockSize {
			bs = append(bs, block{i, lo, min(lo+blockSize, sz)})
		}
	}
	return bs
}

// forBlocks runs fn on every block, in parallel on the kernels' worker
// pool when there is enough work, so --threads (kernels.SetMaxThreads)
// caps the optimizer too.
func forBlocks(bs []block, fn func(k int, b block)) {
	kernels.ParallelFor(len(bs), 1, func(lo, hi int) {
		for k := lo; k < hi; k++ {
			fn(k, bs[k])
		}
	})
}
