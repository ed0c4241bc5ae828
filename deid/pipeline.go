package deid

import (
	"bufio"
	"io"
	"runtime"
	"sync"
)

// lineOut is what one input line produced.
type lineOut struct {
	buf           []byte // output bytes, newline included
	rows, withPHI int
	spans         []Span // all spans of the line, for the counts
	review        []reviewDoc
	err           error
}

type reviewDoc struct {
	id, text string
	spans    []Span
}

// doc records a de-identified document for the counts and the review page.
func (o *lineOut) doc(cfg *StreamConfig, id, text string, spans []Span) {
	o.spans = append(o.spans, spans...)
	if cfg.Review != nil {
		o.review = append(o.review, reviewDoc{id, text, spans})
	}
}

// batch is a run of consecutive input lines.
type batch struct {
	seq   int
	nums  []int // line numbers
	lines [][]byte
	outs  []lineOut
	bytes int64 // input bytes read up to the end of this batch
	err   error // a read error after these lines
}

const batchLines, batchBytes = 256, 1 << 20

// runLines reads lines, processes batches on cfg.Workers goroutines and
// writes the results in input order. At most about 3×workers batches are
// in memory.
func runLines(lr *lineReader, w *bufio.Writer, cfg *StreamConfig, rep *Report, do func(line []byte, n int, o *lineOut)) error {
	nw := cfg.Workers
	if nw <= 0 {
		nw = runtime.GOMAXPROCS(0)
	}
	work, done, stop := make(chan *batch, nw), make(chan *batch, nw), make(chan struct{})
	go func() {
		defer close(work)
		for seq := 0; ; seq++ {
			b := &batch{seq: seq}
			size := 0
			for len(b.lines) < batchLines && size < batchBytes {
				line, err := lr.next()
				if err == io.EOF {
					break
				}
				if err != nil {
					b.err = err
					break
				}
				b.lines = append(b.lines, append([]byte(nil), line...))
				b.nums = append(b.nums, lr.line)
				size += len(line)
			}
			b.bytes = lr.bytes
			last := len(b.lines) < batchLines && size < batchBytes || b.err != nil
			select {
			case work <- b:
			case <-stop:
				return
			}
			if last {
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for i := 0; i < nw; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range work {
				b.outs = make([]lineOut, len(b.lines))
				for j, line := range b.lines {
					do(line, b.nums[j], &b.outs[j])
					if b.outs[j].err != nil {
						break // later lines are not written
					}
				}
				b.lines = nil
				select {
				case done <- b:
				case <-stop:
					return
				}
			}
		}()
	}
	go func() { wg.Wait(); close(done) }()

	var err error
	pending, next := map[int]*batch{}, 0
	for b := range done {
		pending[b.seq] = b
		for {
			pb, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			if err == nil {
				if err = writeBatch(w, cfg, rep, pb); err != nil {
					close(stop)
				}
			}
		}
	}
	return err
}

func writeBatch(w *bufio.Writer, cfg *StreamConfig, rep *Report, b *batch) error {
	for i := range b.outs {
		o := &b.outs[i]
		if o.err != nil {
			return o.err
		}
		for _, d := range o.review {
			cfg.Review.add(d.id, d.text, d.spans)
		}
		rep.Rows += o.rows
		rep.RowsWithPHI += o.withPHI
		rep.count(o.spans)
		if _, err := w.Write(o.buf); err != nil {
			return err
		}
	}
	cfg.tick(rep.Rows, b.bytes)
	return b.err
}
