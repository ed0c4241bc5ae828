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
// intermediate gradients (backward closures never keep dy), op-local
// scratch, and a whole graph's activations when the caller says it is done
// with them (FreeGraph). Buffers handed out are zeroed, so newBuf behaves as
// make.
//
// The pool holds up to poolMaxFloats: a bert-base step at batch 8 × seq 128
// has about a gigabyte of activations plus the gradients Backward frees.
// Lengths change when batches are padded to their longest sequence, so a
// buffer that does not fit evicts buffers of other lengths (the ones the
// current shapes no longer ask for are the likely ones left) rather than
// letting stale lengths pin the pool.

const poolMinLen = 1 << 14 // smaller buffers are cheap to allocate

// poolMaxFloats is the most the pool holds (2 GiB); beyond, buffers go to
// the GC. A variable so tests can shrink it.
var poolMaxFloats = 1 << 29

var bufPool struct {
	sync.Mutex
	free   map[int][][]float32
	floats int
}

// newBuf returns a zeroed []float32 of length n (len == cap), from the free
// list when one of that length is there.
func newBuf(n int) []float32 {
	b, dirty := takeBuf(n)
	if dirty {
		clear(b)
	}
	return b
}

// newBufDirty is newBuf without the zeroing of a recycled buffer, for ops
// that overwrite every element of their output (a gigabyte of memory
// traffic per bert-base training step saved). Its contents are arbitrary.
func newBufDirty(n int) []float32 {
	b, _ := takeBuf(n)
	return b
}

// takeBuf returns a buffer of length n from the free list (dirty) or
// freshly allocated (zeroed, dirty false).
func takeBuf(n int) (b []float32, dirty bool) {
	if n >= poolMinLen {
		bufPool.Lock()
		l := bufPool.free[n]
		if k := len(l); k > 0 {
			b := l[k-1]
			l[k-1] = nil
			bufPool.free[n] = l[:k-1]
			bufPool.floats -= n
			bufPool.Unlock()
			return b, true
		}
		bufPool.Unlock()
	}
	return make([]float32, n), false
}

// freeBuf hands b back for reuse. The caller guarantees that nothing
// references b any more.
func freeBuf(b []float32) {
	n := len(b)
	if n < poolMinLen || cap(b) != n {
		return
	}
	bufPool.Lock()
	if bufPool.floats+n > poolMaxFloats {
		evictOthers(n)
	}
	if bufPool.floats+n <= poolMaxFloats {
		if bufPool.free == nil {
			bufPool.free = make(map[int][][]float32)
		}
		bufPool.free[n] = append(bufPool.free[n], b)
		bufPool.floats += n
	}
	bufPool.Unlock()
}

// evictOthers drops free buffers whose length is not n until a buffer of
// length n fits (or none of another length is left). bufPool is locked.
func evictOthers(n int) {
	for k, l := range bufPool.free {
		if k == n {
			continue
		}
		for len(l) > 0 && bufPool.floats+n > poolMaxFloats {
			l[len(l)-1] = nil
			l = l[:len(l)-1]
			bufPool.floats -= k
		}
		bufPool.free[k] = l
		if bufPool.floats+n <= poolMaxFloats {
			return
		}
	}
}

// pooledFloats reports how many floats the free list holds (for tests).
func pooledFloats() int {
	bufPool.Lock()
	defer bufPool.Unlock()
	return bufPool.floats
}
