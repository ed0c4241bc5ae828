package serve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"runtime/debug"
	"sync/atomic"
	"time"
)

// job is one request's inputs waiting for a batch.
type job struct {
	ctx     context.Context
	inputs  []Input
	results []Result
	err     error
	done    chan struct{} // closed when results or err is set
}

// batcher groups concurrent requests for one model into forward passes of
// at most maxBatch inputs, waiting at most wait for a batch to fill. One
// goroutine runs the model, so batches never compete with each other for
// the compute threads.
type batcher struct {
	model    Classifier
	name     string
	maxBatch int
	wait     time.Duration
	queue    chan *job
	held     atomic.Int32    // 1 while a job that did not fit waits for the next batch
	quit     chan struct{}   // closed by stop
	base     context.Context // parent of every batch's context; canceled by stop
	cancel   context.CancelFunc
	stopped  chan struct{} // closed when run returns
	metrics  *metrics
	log      *slog.Logger
}

func newBatcher(model Classifier, maxBatch, queue int, wait time.Duration, m *metrics, log *slog.Logger) *batcher {
	b := &batcher{
		model: model, name: model.Info().Name, maxBatch: maxBatch, wait: wait,
		queue: make(chan *job, queue), quit: make(chan struct{}), stopped: make(chan struct{}),
		metrics: m, log: log,
	}
	b.base, b.cancel = context.WithCancel(context.Background())
	m.watchQueue(b.name, b.depth)
	go b.run()
	return b
}

// depth is the number of requests waiting for a batch.
func (b *batcher) depth() int { return len(b.queue) + int(b.held.Load()) }

// submit queues inputs and waits for their results, the end of ctx, or
// shutdown. A full queue fails at once with errQueueFull.
func (b *batcher) submit(ctx context.Context, inputs []Input) ([]Result, error) {
	j := &job{ctx: ctx, inputs: inputs, done: make(chan struct{})}
	select {
	case <-b.quit:
		return nil, errStopping
	default:
	}
	select {
	case b.queue <- j:
	default:
		return nil, errQueueFull
	}
	select {
	case <-j.done:
		return j.results, j.err
	case <-ctx.Done():
		// The worker skips the job if it has not started it, and its batch
		// is canceled once no request in it still waits.
		return nil, ctx.Err()
	case <-b.stopped:
		select {
		case <-j.done:
			return j.results, j.err
		default:
			return nil, errStopping
		}
	}
}

// stop cancels the batch in progress, makes the worker fail every queued
// job and waits for it to return. The server calls it after in-flight
// requests have finished or their grace period is over.
func (b *batcher) stop() {
	select {
	case <-b.quit:
	default:
		b.cancel()
		close(b.quit)
	}
	<-b.stopped
}

func (b *batcher) run() {
	defer close(b.stopped)
	var held *job
	for {
		var first *job
		if held != nil {
			first, held = held, nil
			b.held.Store(0)
		} else {
			select {
			case first = <-b.queue:
			case <-b.quit:
			}
		}
		if b.stopping() {
			if first != nil {
				finish(first, nil, errStopping)
			}
			b.drain()
			return
		}
		batch, n := []*job{first}, len(first.inputs)
		if n < b.maxBatch {
			timer := time.NewTimer(b.wait)
		collect:
			for n < b.maxBatch {
				// Take what is already queued before looking at the timer, so
				// that --batch-wait 0 still batches the requests that arrived
				// during the previous forward pass.
				var j *job
				select {
				case j = <-b.queue:
				default:
					select {
					case j = <-b.queue:
					case <-timer.C:
						break collect
					case <-b.quit:
						break collect
					}
				}
				if n+len(j.inputs) > b.maxBatch {
					held = j
					b.held.Store(1)
					break
				}
				batch, n = append(batch, j), n+len(j.inputs)
			}
			timer.Stop()
		}
		b.runBatch(batch)
	}
}

func (b *batcher) stopping() bool {
	select {
	case <-b.quit:
		return true
	default:
		return false
	}
}

func (b *batcher) drain() {
	for {
		select {
		case j := <-b.queue:
			finish(j, nil, errStopping)
		default:
			return
		}
	}
}

func finish(j *job, results []Result, err error) {
	j.results, j.err = results, err
	close(j.done)
}

// runBatch drops jobs whose requests have already ended, runs the rest in
// forward passes of at most maxBatch inputs and hands each job its results.
func (b *batcher) runBatch(batch []*job) {
	live := batch[:0]
	var inputs []Input
	for _, j := range batch {
		if err := j.ctx.Err(); err != nil {
			finish(j, nil, err)
			continue
		}
		live = append(live, j)
		inputs = append(inputs, j.inputs...)
	}
	if len(live) == 0 {
		return
	}
	// The batch's context ends when the last request waiting on it ends.
	ctx, cancel := context.WithCancel(b.base)
	defer cancel()
	var waiting atomic.Int32
	waiting.Store(int32(len(live)))
	for _, j := range live {
		stopWatch := context.AfterFunc(j.ctx, func() {
			if waiting.Add(-1) == 0 {
				cancel()
			}
		})
		defer stopWatch()
	}
	results := make([]Result, 0, len(inputs))
	var err error
	for start := 0; start < len(inputs) && err == nil; start += b.maxBatch {
		chunk := inputs[start:min(start+b.maxBatch, len(inputs))]
		var rs []Result
		rs, err = b.classify(ctx, chunk)
		results = append(results, rs...)
	}
	at := 0
	for _, j := range live {
		switch {
		case err != nil && j.ctx.Err() != nil:
			finish(j, nil, j.ctx.Err())
		case err != nil:
			finish(j, nil, err)
		default:
			finish(j, results[at:at+len(j.inputs)], nil)
		}
		at += len(j.inputs)
	}
}

// classify runs one forward pass, turning a panic or a malformed answer
// into errInternal. Classifier errors are logged: by the Classifier
// contract they carry no input text.
func (b *batcher) classify(ctx context.Context, inputs []Input) (rs []Result, err error) {
	defer func() {
		if p := recover(); p != nil {
			b.log.Error("classifier panicked", "model", b.name, "panic_type", fmt.Sprintf("%T", p), "stack", string(debug.Stack()))
			rs, err = nil, errInternal
		}
	}()
	rs, err = b.model.Classify(ctx, inputs)
	if err != nil {
		if ctx.Err() == nil || !errors.Is(err, ctx.Err()) {
			b.log.Error("classify failed", "model", b.name, "inputs", len(inputs), "err", err.Error())
		}
		return nil, errInternal
	}
	if len(rs) != len(inputs) {
		b.log.Error("classifier returned the wrong number of results", "model", b.name, "inputs", len(inputs), "results", len(rs))
		return nil, errInternal
	}
	nLabels := len(b.model.Info().Labels)
	tokens := 0
	for i, r := range rs {
		if len(r.Scores) != nLabels || !finite(r.Scores) {
			b.log.Error("classifier returned malformed scores", "model", b.name, "input", i, "scores", len(r.Scores), "labels", nLabels)
			return nil, errInternal
		}
		tokens += r.Tokens
	}
	b.metrics.observeBatch(b.name, len(inputs), tokens)
	return rs, nil
}

func finite(xs []float64) bool {
	for _, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}
