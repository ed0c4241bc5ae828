package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"
)

// A fixed pool of worker goroutines runs the parallel parts of the kernels.
// Workers are started lazily, once, up to the largest thread count ever
// requested; a call hands its job to threads-1 workers through a buffered
// channel and runs tasks itself too, so nothing is spawned or allocated per
// call. Tasks must never start a parallel job themselves (no nesting), which
// keeps the pool deadlock-free.

// parTask is a parallel loop body: run task t with the caller's workspace.
type parTask interface {
	task(ws *workspace, t int)
}

type poolJob struct {
	body parTask
	n    int64
	next atomic.Int64
	wg   sync.WaitGroup
}

var (
	poolCh      = make(chan *poolJob, 256)
	poolMu      sync.Mutex
	poolWorkers int
	maxThreads  atomic.Int32 // 0: GOMAXPROCS
	jobPool     = sync.Pool{New: func() any { return new(poolJob) }}
	wsPool      = sync.Pool{New: func() any { return new(workspace) }}
)

// SetMaxThreads caps the goroutines one kernel call uses (0 = GOMAXPROCS, the
// default) and returns the previous cap. For benchmarks and servers that run
// several models side by side.
func SetMaxThreads(n int) (prev int) {
	if n < 0 {
		n = 0
	}
	return int(maxThreads.Swap(int32(n)))
}

// threads returns how many goroutines a call may use.
func threads() int {
	t := runtime.GOMAXPROCS(0)
	if m := int(maxThreads.Load()); m > 0 && m < t {
		t = m
	}
	return t
}

func ensureWorkers(n int) {
	poolMu.Lock()
	for poolWorkers < n {
		poolWorkers++
		go worker()
	}
	poolMu.Unlock()
}

func worker() {
	ws := new(workspace) // owned by this goroutine for its lifetime
	for j := range poolCh {
		j.run(ws)
		j.wg.Done()
	}
}

func (j *poolJob) run(ws *workspace) {
	for {
		t := j.next.Add(1) - 1
		if t >= j.n {
			return
		}
		j.body.task(ws, int(t))
	}
}

// parallelFor runs body.task(ws, t) for t in [0, n) on up to nthreads
// goroutines (the caller included) and returns when all are done.
func parallelFor(nthreads, n int, body parTask) {
	if nthreads > n {
		nthreads = n
	}
	if nthreads <= 1 {
		ws := wsPool.Get().(*workspace)
		for t := 0; t < n; t++ {
			body.task(ws, t)
		}
		wsPool.Put(ws)
		return
	}
	ensureWorkers(nthreads - 1)
	j := jobPool.Get().(*poolJob)
	j.body, j.n = body, int64(n)
	j.next.Store(0)
	j.wg.Add(nthreads - 1)
	for i := 1; i < nthreads; i++ {
		poolCh <- j
	}
	ws := wsPool.Get().(*workspace)
	j.run(ws)
	wsPool.Put(ws)
	j.wg.Wait()
	j.body = nil
	jobPool.Put(j)
}

// workspace is per-goroutine scratch memory, grown on demand and reused.
// Each field is raw backing store for grow, which hands out aligned views.
type workspace struct {
	a    []float32 // packed A block (mc×kc)
	b    []float32 // packed B (serial and batched GEMM)
	tile []float32 // mr×nr scratch tile for edge tiles
}

// grow returns an n-float, 64-byte-aligned slice backed by *raw, reallocating
// only when too small. Go only guarantees 16-byte alignment
// (a make([]float32, 4) can start 16 bytes past a 64-byte boundary).
func grow(raw *[]float32, n int) []float32 {
	if cap(*raw) < n+16 {
		*raw = make([]float32, n+16)
	}
	r := (*raw)[:cap(*raw)]
	off := 0
	if mis := uintptr(unsafe.Pointer(&r[0])) & 63; mis != 0 {
		off = int(64-mis) / 4
	}
	return r[off : off+n : off+n]
}
