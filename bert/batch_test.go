package bert

import (
	"slices"
	"testing"
)

func TestPadBatch(t *testing.T) {
	rows := []Row{{IDs: []int{101, 7, 102}, TypeIDs: []int{0, 0, 0}}, {IDs: []int{101, 102}, TypeIDs: []int{0, 1}}}
	in := PadBatch(rows, 0, 1, 0)
	if in.Batch != 2 || in.Seq != 3 || !slices.Equal(in.InputIDs, []int{101, 7, 102, 101, 102, 0}) ||
		!slices.Equal(in.AttentionMask, []int{1, 1, 1, 1, 1, 0}) || !slices.Equal(in.TokenTypeIDs, []int{0, 0, 0, 0, 1, 0}) {
		t.Errorf("padded batch %+v", in)
	}
	if in := PadBatch(rows, 0, 8, 0); in.Seq != 8 || in.InputIDs[8+2] != 0 || in.AttentionMask[7] != 0 {
		t.Errorf("multiple of 8: seq %d", in.Seq)
	}
	if in := PadBatch(rows, 0, 8, 5); in.Seq != 3 {
		t.Errorf("rounding past the limit: seq %d, want 3", in.Seq)
	}
}
