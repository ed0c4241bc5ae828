package shard

import "testing"

// TestRangeCoversWholeBatches: the shards tile [0, n) in order, start on
// batch boundaries, and differ by at most one batch.
func TestRangeCoversWholeBatches(t *testing.T) {
	for _, c := range [][3]int{{0, 4, 3}, {1, 4, 3}, {23, 4, 3}, {100, 8, 7}, {5, 8, 4}, {64, 8, 8}} {
		n, batch, count := c[0], c[1], c[2]
		next, minB, maxB := 0, n, 0
		for i := range count {
			lo, hi := Range(n, batch, i, count)
			if lo != next || hi < lo || (lo%batch != 0 && lo != n) {
				t.Fatalf("n %d batch %d count %d: shard %d = [%d, %d), want to start at %d on a batch boundary", n, batch, count, i, lo, hi, next)
			}
			nb := (hi - lo + batch - 1) / batch
			minB, maxB = min(minB, nb), max(maxB, nb)
			next = hi
		}
		if next != n || maxB-minB > 1 {
			t.Errorf("n %d batch %d count %d: covered %d rows, batches per shard from %d to %d", n, batch, count, next, minB, maxB)
		}
	}
	if Check(0, 0) == nil || Check(3, 3) == nil || Check(-1, 2) == nil || Check(1, 2) != nil {
		t.Error("Check accepts a bad shard or refuses a good one")
	}
}
