package cdshooks

import (
	"container/heap"
	"sync"
	"time"
)

// replayCache remembers each jti until its token expires, so a captured
// token cannot be sent twice. It holds at most max entries; when that many
// unexpired tokens are remembered it refuses new ones (fail closed) rather
// than forget one that could then be replayed.
type replayCache struct {
	mu    sync.Mutex
	max   int
	seen  map[string]time.Time
	byExp expiryHeap
}

func newReplayCache(max int) *replayCache {
	return &replayCache{max: max, seen: map[string]time.Time{}}
}

// add records key until expires and reports whether it was new.
func (c *replayCache) add(key string, expires, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.byExp) > 0 && !c.byExp[0].exp.After(now) {
		delete(c.seen, heap.Pop(&c.byExp).(expiring).key)
	}
	if _, ok := c.seen[key]; ok {
		return false
	}
	if len(c.seen) >= c.max {
		return false
	}
	c.seen[key] = expires
	heap.Push(&c.byExp, expiring{key, expires})
	return true
}

type expiring struct {
	key string
	exp time.Time
}

// expiryHeap is a min-heap on exp (container/heap).
type expiryHeap []expiring

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].exp.Before(h[j].exp) }
func (h expiryHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *expiryHeap) Push(x any)        { *h = append(*h, x.(expiring)) }
func (h *expiryHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
