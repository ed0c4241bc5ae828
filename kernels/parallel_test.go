package kernels

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestParallelForCoverage checks that the ranges cover [0, n) exactly once,
// each at least minChunk long unless there is a single range (0, n).
func TestParallelForCoverage(t *testing.T) {
	withThreads(4, func() {
		for _, n := range []int{0, 1, 2, 7, 1000, 100003} {
			for _, minChunk := range []int{-1, 0, 1, 3, 64, 1 << 20} {
				hits := make([]atomic.Int32, n)
				var mu sync.Mutex
				var ranges [][2]int
				ParallelFor(n, minChunk, func(lo, hi int) {
					for i := lo; i < hi; i++ {
						hits[i].Add(1)
					}
					mu.Lock()
					ranges = append(ranges, [2]int{lo, hi})
					mu.Unlock()
				})
				for i := range hits {
					if h := hits[i].Load(); h != 1 {
						t.Fatalf("n %d minChunk %d: index %d visited %d times", n, minChunk, i, h)
					}
				}
				if n == 0 && len(ranges) != 0 {
					t.Fatalf("n 0: f called %v", ranges)
				}
				if len(ranges) > 4*4 {
					t.Fatalf("n %d minChunk %d: %d ranges, want at most 16", n, minChunk, len(ranges))
				}
				for _, r := range ranges {
					if len(ranges) > 1 && r[1]-r[0] < minChunk {
						t.Fatalf("n %d minChunk %d: range %v shorter than minChunk", n, minChunk, r)
					}
				}
			}
		}
	})
}

// TestParallelForThreadCap checks that no more than SetMaxThreads calls of f
// run at once, and that a cap of 1 runs f once, on the caller.
func TestParallelForThreadCap(t *testing.T) {
	prevProcs := runtime.GOMAXPROCS(4)
	defer runtime.GOMAXPROCS(prevProcs)
	for _, limit := range []int{1, 2, 3} {
		prev := SetMaxThreads(limit)
		var running, peak, calls atomic.Int32
		ParallelFor(64, 1, func(lo, hi int) {
			calls.Add(1)
			r := running.Add(1)
			for {
				p := peak.Load()
				if r <= p || peak.CompareAndSwap(p, r) {
					break
				}
			}
			time.Sleep(time.Millisecond)
			running.Add(-1)
		})
		SetMaxThreads(prev)
		if int(peak.Load()) > limit {
			t.Errorf("cap %d: %d calls of f ran at once", limit, peak.Load())
		}
		if limit == 1 && calls.Load() != 1 {
			t.Errorf("cap 1: f called %d times, want once with the whole range", calls.Load())
		}
	}
}

// TestParallelForNested runs ParallelFor and a parallel GEMM from inside
// ParallelFor's f (the pool busy with the outer job) and checks every result;
// a deadlock fails the test instead of hanging it.
func TestParallelForNested(t *testing.T) {
	for _, threads := range []int{2, 4} {
		done := make(chan error, 1)
		go func() {
			var err error
			withThreads(threads, func() {
				const outer, inner = 8, 5000
				sums := make([]int64, outer)
				r := rand.New(rand.NewPCG(9, 9))
				const m, n, k = 64, 200, 256 // m·n·k ≥ parallelMin: the GEMM goes parallel
				a, b := randSlice(r, m*k, 1), randSlice(r, n*k, 1)
				want := make([]float32, m*n)
				Sgemm(false, true, m, n, k, 1, a, k, b, k, 0, want, n)
				got := make([][]float32, outer)
				ParallelFor(outer, 1, func(lo, hi int) {
					for o := lo; o < hi; o++ {
						var s atomic.Int64
						ParallelFor(inner, 10, func(l, h int) {
							for i := l; i < h; i++ {
								s.Add(int64(i))
							}
						})
						sums[o] = s.Load()
						got[o] = make([]float32, m*n)
						Sgemm(false, true, m, n, k, 1, a, k, b, k, 0, got[o], n)
					}
				})
				for o := range sums {
					if sums[o] != inner*(inner-1)/2 {
						err = fmt.Errorf("threads %d: inner sum %d = %d", threads, o, sums[o])
						return
					}
					if !sameBits(got[o], want) {
						err = fmt.Errorf("threads %d: nested GEMM %d differs", threads, o)
						return
					}
				}
			})
			done <- err
		}()
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(60 * time.Second):
			t.Fatalf("threads %d: nested ParallelFor did not finish (deadlock)", threads)
		}
	}
}

func ExampleParallelFor() {
	x := make([]float64, 1000)
	ParallelFor(len(x), 100, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			x[i] = float64(i) * float64(i)
		}
	})
	var sum float64
	for _, v := range x {
		sum += v
	}
	fmt.Println(sum)
	// Output: 3.328335e+08
}
