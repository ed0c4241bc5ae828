package tensor

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// parallelBlocks calls f(b) for every b in [0, n) on up to GOMAXPROCS
// goroutines (the caller included). It is for element-wise work outside the
// kernels package (dropout's random streams) where each block is at least
// tens of microseconds, so starting goroutines per call is noise. f must
// only write memory owned by its block; results must not depend on which
// goroutine runs a block.
func parallelBlocks(n int, f func(b int)) {
	nt := min(runtime.GOMAXPROCS(0), n)
	if nt <= 1 {
		for b := range n {
			f(b)
		}
		return
	}
	var next atomic.Int64
	work := func() {
		for {
			b := int(next.Add(1) - 1)
			if b >= n {
				return
			}
			f(b)
		}
	}
	var wg sync.WaitGroup
	for range nt - 1 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			work()
		}()
	}
	work()
	wg.Wait()
}
