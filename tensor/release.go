package tensor

import (
	"fmt"
	"slices"
)

// Inference code allocates the same activation sizes layer after layer and
// call after call. Without a graph nothing tells the buffer pool when an
// activation dies, so each one would be a fresh allocation the runtime
// zeroes (a few percent of a BERT forward). Empty and Release let such code
// recycle buffers explicitly, as FreeGraph does for a training graph.

// Empty returns a tensor of the given shape whose contents are arbitrary
// (a recycled buffer is not zeroed), for kernels that write every element
// of their output.
func Empty(shape ...int) *Tensor { return empty(shape...) }

// Release hands t's data back to the buffer pool and leaves t empty (Data
// nil), so a stray later use fails loudly instead of reading reused memory.
// The caller guarantees that t is dead: nothing reads it or a tensor sharing
// its data (a Reshape view) afterwards. Tensors in a graph are refused
// (FreeGraph releases those); a nil tensor is ignored.
func (t *Tensor) Release() {
	if t == nil {
		return
	}
	if t.node != nil || t.requiresGrad {
		panic(fmt.Sprintf("tensor: Release of %v, which is part of a graph (use FreeGraph)", t.Shape))
	}
	freeBuf(t.Data)
	t.Data = nil
}

// ReleaseAll releases each distinct tensor of ts once: tensors sharing one
// buffer (views) release it once.
func ReleaseAll(ts ...*Tensor) {
	var seen []*float32
	for _, t := range ts {
		if t == nil || len(t.Data) == 0 {
			continue
		}
		p := &t.Data[0]
		if slices.Contains(seen, p) {
			t.Data = nil
			continue
		}
		seen = append(seen, p)
		t.Release()
	}
}
