package optim

import (
	"runtime"
	"sync"
	"sync/atomic"
)

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

// forBlocks runs fn on every block, in parallel when there is enough work.
// It uses GOMAXPROCS workers and so ignores kernels.SetMaxThreads (--threads);
// it is to become a call of the kernels package's parallel-for, which obeys
// the cap, once that exists (tensor has the same kind of loop).
func forBlocks(bs []block, fn func(k int, b block)) {
	workers := min(runtime.GOMAXPROCS(0), len(bs))
	if workers <= 1 {
		for k, b := range bs {
			fn(k, b)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				k := int(next.Add(1)) - 1
				if k >= len(bs) {
					return
				}
				fn(k, bs[k])
			}
		}()
	}
	wg.Wait()
}
