package tokenize

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
)

// EncodeBatch encodes texts in parallel (GOMAXPROCS goroutines); result i
// belongs to texts[i]. PadLongest pads to the longest window of the whole
// batch, overflowing windows included.
func (t *Tokenizer) EncodeBatch(texts []string, opts Options) ([]Encoding, error) {
	return t.encodeBatch(len(texts), func(i int) (string, string, bool) { return texts[i], "", false }, opts)
}

// EncodePairBatch encodes the pairs (a[i], b[i]) in parallel.
func (t *Tokenizer) EncodePairBatch(a, b []string, opts Options) ([]Encoding, error) {
	if len(a) != len(b) {
		return nil, fmt.Errorf("encode pairs: %d first texts but %d second texts", len(a), len(b))
	}
	return t.encodeBatch(len(a), func(i int) (string, string, bool) { return a[i], b[i], true }, opts)
}

func (t *Tokenizer) encodeBatch(n int, input func(int) (string, string, bool), opts Options) ([]Encoding, error) {
	out := make([]Encoding, n)
	errs := make([]error, n)
	inner := opts
	if inner.Padding == PadLongest {
		inner.Padding = PadNone // the batch-wide length is known only at the end
	}
	// Small blocks keep the load balanced when lengths vary.
	parallelFor(n, 8, func(i int) {
		a, b, pair := input(i)
		out[i], errs[i] = t.encode(a, b, pair, inner)
	})
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("input %d: %w", i, err)
		}
	}
	if opts.Padding == PadLongest {
		flat, _ := Flatten(out)
		n := longest(flat)
		for i := range out {
			t.padAll(out[i:i+1], n, opts.PadToMultipleOf)
			t.padAll(out[i].Overflowing, n, opts.PadToMultipleOf)
		}
	}
	return out, nil
}

// TokenizeBatch tokenizes texts in parallel; result i belongs to texts[i].
func (t *Tokenizer) TokenizeBatch(texts []string) [][]Token {
	out := make([][]Token, len(texts))
	parallelFor(len(texts), 1, func(i int) { out[i] = t.Tokenize(texts[i]) })
	return out
}

// parallelFor calls fn(i) for every i in [0, n) on GOMAXPROCS goroutines,
// which take blocks of chunk consecutive indices from a shared counter.
// tokenize stands alone (no engine package), so it does not use the
// kernels' pool: tokenizing runs before or beside the model, never inside a
// kernel, and a caller who wants fewer threads sets GOMAXPROCS.
func parallelFor(n, chunk int, fn func(i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < min(runtime.GOMAXPROCS(0), n); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				lo := int(next.Add(int64(chunk))) - chunk
				if lo >= n {
					return
				}
				for i := lo; i < min(lo+chunk, n); i++ {
					fn(i)
				}
			}
		}()
	}
	wg.Wait()
}
