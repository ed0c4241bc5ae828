package tensor

import "sync"

// A free list of large float32 buffers, keyed by length.
//
// A bert-base training step allocates about two gigabytes of activations
// and gradients. Fresh large allocations are zeroed by page faults (the Go
// runtime returns freed spans to the OS between steps), which cost a fifth
// of a training step's CPU time. Backward knows exactly when an
// intermediate gradient dies (right after it has been propagated), and ops
// know when their backward scratch dies, so those buffers come back here
// and the next large allocation of the same length (a later layer's
// gradient, the next step's activations) reuses them.
//
// Only buffers nothing else can reference are put back: dropped
// intermediate gradients (backward closures never keep dy) and op-local
// scratch. Buffers handed out are zeroed, so newBuf behaves as make.

const (
	poolMinLen    = 1 << 14 // smaller buffers are cheap to allocate
	poolMaxFloats = 1 << 28 // 1 GiB held at most; beyond, buffers go to the GC
)

var bufPool struct {
	sync.Mutex
	free   map[int][][]float32
	floats int
}

// newBuf returns a zeroed []float32 of length n (len == cap), from the free
// list when one of that length is there.
func newBuf(n int) []float32 {
	if n >= poolMinLen {
		bufPool.Lock()
		l := bufPool.free[n]
		if k := len(l); k > 0 {
			b := l[k-1]
			l[k-1] = nil
			bufPool.free[n] = l[:k-1]
			bufPool.floats -= n
			bufPool.Unlock()
			clear(b)
			return b
		}
		bufPool.Unlock()
	}
	return make([]float32, n)
}

// freeBuf hands b back for reuse. The caller guarantees that nothing
// references b any more.
func freeBuf(b []float32) {
	n := len(b)
	if n < poolMinLen || cap(b) != n {
		return
	}
	bufPool.Lock()
	if bufPool.floats+n <= poolMaxFloats {
		if bufPool.free == nil {
			bufPool.free = make(map[int][][]float32)
		}
		bufPool.free[n] = append(bufPool.free[n], b)
		bufPool.floats += n
	}
	bufPool.Unlock()
}

// pooledFloats reports how many floats the free list holds (for tests).
func pooledFloats() int {
	bufPool.Lock()
	defer bufPool.Unlock()
	return bufPool.floats
}
