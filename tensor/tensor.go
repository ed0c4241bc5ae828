// Package tensor holds medbert's float32 tensors and a small define-by-run
// reverse-mode autograd engine.
//
// A Tensor is a shape plus contiguous row-major float32 data. Ops (ops_*.go)
// compute their forward with the kernels package and, only when gradients are
// enabled and some input requires a gradient, record a backward closure written
// right next to the forward. Backward walks the recorded graph in reverse
// topological order; gradients always accumulate (+=) into Grad until ZeroGrad.
//
// Misuse (shape mismatches, out-of-range indices) is a programming error and
// panics with a message naming the op; callers validate user input first.
//
// Concurrency: forward ops allocate their outputs and never mutate their
// inputs, so several goroutines may run inference on one model at the same
// time. Whether an op records is decided per call by its inputs (see
// tracking in autograd.go), never by a process-wide mode, so a training
// step and inference calls may also run at the same time. Backward on one
// graph must run on one goroutine.
package tensor

import (
	"fmt"
	"slices"
)

// Tensor is a float32 n-dimensional array, optionally part of an autograd
// graph.
//
// Data is row-major and contiguous with len(Data) == product(Shape). A 0-dim
// tensor (Shape empty) is a scalar with one element. Grad has the same length
// as Data once a backward pass reached the tensor; it is nil before.
type Tensor struct {
	Data  []float32
	Shape []int
	Grad  []float32

	requiresGrad bool
	retainGrad   bool     // keep Grad of a non-leaf after Backward
	node         *node    // nil for leaves (parameters, inputs)
	rowGrad      *RowGrad // Embedding's gradient when row-sparse (SetRowSparseGrad)
}

// New wraps data (no copy) as a tensor of the given shape. It panics if
// len(data) does not match the shape.
func New(data []float32, shape ...int) *Tensor {
	if n := numel(shape); n != len(data) {
		panic(fmt.Sprintf("tensor: New: shape %v needs %d elements, got %d", shape, n, len(data)))
	}
	return &Tensor{Data: data, Shape: slices.Clone(shape)}
}

// Zeros returns a new zero-filled tensor of the given shape.
func Zeros(shape ...int) *Tensor {
	return &Tensor{Data: newBuf(numel(shape)), Shape: slices.Clone(shape)}
}

// empty returns a tensor of the given shape with arbitrary contents, for
// ops that write every element of their output.
func empty(shape ...int) *Tensor {
	return &Tensor{Data: newBufDirty(numel(shape)), Shape: slices.Clone(shape)}
}

// Scalar returns a 0-dim tensor holding v.
func Scalar(v float32) *Tensor { return &Tensor{Data: []float32{v}, Shape: []int{}} }

func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		if d < 0 {
			panic(fmt.Sprintf("tensor: negative dimension in shape %v", shape))
		}
		n *= d
	}
	return n
}

// Size returns the number of elements.
func (t *Tensor) Size() int { return len(t.Data) }

// Dims returns the number of dimensions.
func (t *Tensor) Dims() int { return len(t.Shape) }

// Item returns the single value of a one-element tensor (for example a loss).
func (t *Tensor) Item() float32 {
	if len(t.Data) != 1 {
		panic(fmt.Sprintf("tensor: Item on shape %v", t.Shape))
	}
	return t.Data[0]
}

// lastDim returns the size of the last dimension (1 for a scalar).
func (t *Tensor) lastDim() int {
	if len(t.Shape) == 0 {
		return 1
	}
	return t.Shape[len(t.Shape)-1]
}

// SetRequiresGrad marks a leaf tensor (a parameter) as needing a gradient.
// Setting false on a non-leaf detaches it from its graph.
func (t *Tensor) SetRequiresGrad(b bool) {
	t.requiresGrad = b
	if !b {
		t.node = nil
	}
}

// RequiresGrad reports whether gradients flow into t.
func (t *Tensor) RequiresGrad() bool { return t.requiresGrad }

// IsLeaf reports whether t was created directly rather than by a recorded op.
func (t *Tensor) IsLeaf() bool { return t.node == nil }

// RetainGrad keeps the gradient of a non-leaf tensor after Backward (as
// torch's retain_grad); by default intermediate gradients are dropped as soon
// as they have been propagated, to bound memory.
func (t *Tensor) RetainGrad() { t.retainGrad = true }

// ZeroGrad sets t.Grad to zero and empties its RowGrad, keeping the
// buffers.
func (t *Tensor) ZeroGrad() {
	clear(t.Grad)
	if t.rowGrad != nil {
		t.rowGrad.Reset()
	}
}

// Detach returns a tensor sharing t's data but outside any graph.
func (t *Tensor) Detach() *Tensor { return &Tensor{Data: t.Data, Shape: t.Shape} }

// Clone returns a deep copy of t's data and shape, outside any graph.
func (t *Tensor) Clone() *Tensor {
	return &Tensor{Data: slices.Clone(t.Data), Shape: slices.Clone(t.Shape)}
}

// String describes the shape (not the data, which may be large).
func (t *Tensor) String() string { return fmt.Sprintf("Tensor%v", t.Shape) }

// grad returns t.Grad, allocating it zeroed on first use.
func (t *Tensor) grad() []float32 {
	if t.Grad == nil {
		n := len(t.Data)
		if t.Data == nil {
			// LayerNormFreeInput empties an input that still gets a gradient.
			n = numel(t.Shape)
		}
		t.Grad = newBuf(n)
	}
	return t.Grad
}

// withLast returns shape with its last dimension replaced by d.
func withLast(shape []int, d int) []int {
	s := slices.Clone(shape)
	if len(s) == 0 {
		return []int{d}
	}
	s[len(s)-1] = d
	return s
}

func sameShape(op string, a, b *Tensor) {
	if !slices.Equal(a.Shape, b.Shape) {
		panic(fmt.Sprintf("tensor: %s: shape mismatch %v vs %v", op, a.Shape, b.Shape))
	}
}
