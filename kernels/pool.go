package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// A fixed pool of worker goroutines runs the parallel parts of the kernels.
// Workers are started lazily, once, up to the largest thread count ever
// requested. A call offers its job to at most threads-1 idle workers through
// a buffered channel (never blocking on the send) and runs tasks itself too,
// so nothing is spawned per call. It then waits only for tasks already
// started by some goroutine, never for a worker to pick the job up: a task
// may itself start a parallel job (nesting) without deadlock. When every
// worker is busy (e.g. a job started from inside a task of a job that keeps
// the pool busy) the nested job finds no idle worker and runs inline on its
// caller.

// parTask is a parallel loop body: run task t with the caller's workspace.
type parTask interface {
	task(ws *workspace, t int)
}

type poolJob struct {
	body parTask
	n    int64
	next atomic.Int64   // next task to claim
	wg   sync.WaitGroup // one Done per finished task
	refs atomic.Int32   // the caller and every worker the job was sent to
}

var (
	poolCh      = make(chan *poolJob, 256)
	poolMu      sync.Mutex
	poolWorkers int
	idleWorkers atomic.Int32 // workers waiting on poolCh
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
	for {
		idleWorkers.Add(1)
		j := awaitJob()
		idleWorkers.Add(-1)
		j.run(ws)
		j.release()
	}
}

// spinWait is how long an idle worker polls for the next job before it
// blocks. A model's forward is a chain of parallel kernels a few hundred
// microseconds to milliseconds long with short serial gaps between them;
// a worker parked in the scheduler takes tens of microseconds to wake, each
// time, while the caller already runs its share. Polling for a moment keeps
// it ready for the next kernel; a worker with nothing to do for longer
// blocks and costs nothing.
const spinWait = 100 * time.Microsecond

// awaitJob returns the next job, polling for up to spinWait first.
func awaitJob() *poolJob {
	deadline := time.Now().Add(spinWait)
	for {
		select {
		case j := <-poolCh:
			return j
		default:
		}
		if time.Now().After(deadline) {
			return <-poolCh
		}
		runtime.Gosched()
	}
}

// run claims and runs tasks until none is left.
func (j *poolJob) run(ws *workspace) {
	for {
		t := j.next.Add(1) - 1
		if t >= j.n {
			return
		}
		j.body.task(ws, int(t))
		j.wg.Done()
	}
}

// release drops one reference; the last one recycles the job (a worker may
// receive it after its caller has returned, and then finds no task left).
func (j *poolJob) release() {
	if j.refs.Add(-1) == 0 {
		j.body = nil
		jobPool.Put(j)
	}
}

// parallelFor runs body.task(ws, t) for t in [0, n) on up to nthreads
// goroutines (the caller included, idle workers only) and returns when all
// are done. It may be called from inside a task.
func parallelFor(nthreads, n int, body parTask) {
	nthreads = min(nthreads, n)
	helpers := 0
	if nthreads > 1 {
		ensureWorkers(nthreads - 1)
		helpers = min(nthreads-1, int(idleWorkers.Load()))
	}
	if helpers <= 0 {
		ws := wsPool.Get().(*workspace)
		for t := 0; t < n; t++ {
			body.task(ws, t)
		}
		wsPool.Put(ws)
		return
	}
	j := jobPool.Get().(*poolJob)
	j.body, j.n = body, int64(n)
	j.next.Store(0)
	j.wg.Add(n)
	j.refs.Store(1)
	for range helpers {
		j.refs.Add(1)
		select {
		case poolCh <- j:
		default: // channel full: the tasks run without this helper
			j.refs.Add(-1)
		}
	}
	ws := wsPool.Get().(*workspace)
	j.run(ws)
	wsPool.Put(ws)
	j.wg.Wait()
	j.release()
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
