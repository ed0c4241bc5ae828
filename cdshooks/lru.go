package cdshooks

import (
	"container/list"
	"crypto/sha256"
	"sync"
)

// scoreCache keeps the scores of recently seen notes, keyed by the SHA-256
// of model name and text (never the text itself), so a re-opened chart is
// answered without inference. Least recently used entries go first.
type scoreCache struct {
	mu    sync.Mutex
	max   int
	order *list.List // front = most recent; values are *cacheEntry
	items map[[32]byte]*list.Element
}

type cacheEntry struct {
	key    [32]byte
	scores []float64
}

func newScoreCache(max int) *scoreCache {
	return &scoreCache{max: max, order: list.New(), items: map[[32]byte]*list.Element{}}
}

func noteKey(model, text string) [32]byte {
	h := sha256.New()
	h.Write([]byte(model))
	h.Write([]byte{0})
	h.Write([]byte(text))
	var k [32]byte
	h.Sum(k[:0])
	return k
}

// get returns the cached scores (shared: callers must not modify them).
func (c *scoreCache) get(k [32]byte) ([]float64, bool) {
	if c.max <= 0 {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.items[k]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(e)
	return e.Value.(*cacheEntry).scores, true
}

func (c *scoreCache) put(k [32]byte, scores []float64) {
	if c.max <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[k]; ok {
		e.Value.(*cacheEntry).scores = scores
		c.order.MoveToFront(e)
		return
	}
	c.items[k] = c.order.PushFront(&cacheEntry{k, scores})
	for c.order.Len() > c.max {
		old := c.order.Back()
		c.order.Remove(old)
		delete(c.items, old.Value.(*cacheEntry).key)
	}
}

func (c *scoreCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
