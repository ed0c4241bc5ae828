package tensor

import (
	"fmt"

	"github.com/medbert/medbert/kernels"
)

// node records how a non-leaf tensor was computed: its inputs (for the
// topological order) and a closure that, given d(loss)/d(output), accumulates
// d(loss)/d(input) into each input that requires a gradient. The closure
// captures whatever activations the op saved; they live exactly as long as
// the graph does.
type node struct {
	inputs   []*Tensor
	backward func(dy []float32)
	// view marks an output that shares its input's Data (Reshape): FreeGraph
	// must not pool it, the input (maybe a parameter) still owns it.
	view bool
	// saved lists large op-owned buffers the backward reads besides the
	// inputs' and output's Data (dropout masks, attention probabilities),
	// so FreeGraph can pool them too (and empty them if they were returned
	// to the caller, like the probabilities).
	saved []*Tensor
	// recompute, when set, rebuilds the output's value into dst from what
	// the op keeps anyway (its inputs, masks): a fused op that releases the
	// output early has a backward that reads it through valueOf.
	recompute func(dst []float32)
}

// valueOf returns t's data for a backward to read: t.Data, or when a fused
// op released it, a pooled buffer its op rebuilt (done hands it back).
func valueOf(t *Tensor) (data []float32, done func()) {
	if t.Data != nil || t.node == nil || t.node.recompute == nil {
		return t.Data, func() {}
	}
	buf := newBufDirty(numel(t.Shape))
	t.node.recompute(buf)
	return buf, func() { freeBuf(buf) }
}

// tracking reports whether an op over these inputs must record a backward
// closure: at least one input requires a gradient. There is no process-wide
// switch: whether a call builds a graph is decided by what it is given. An
// inference call hands the ops detached views of the parameters
// (Tensor.Detach, as nn's layers do when a forward runs without grad), so
// several goroutines can serve, train and explain at the same time, each
// recording exactly the graph it asked for.
func tracking(inputs ...*Tensor) bool {
	for _, in := range inputs {
		if in != nil && in.requiresGrad {
			return true
		}
	}
	return false
}

// record makes out a non-leaf computed from inputs (nil inputs are skipped).
func (out *Tensor) record(backward func(dy []float32), inputs ...*Tensor) {
	ins := make([]*Tensor, 0, len(inputs))
	for _, in := range inputs {
		if in != nil && in.requiresGrad {
			ins = append(ins, in)
		}
	}
	out.requiresGrad = true
	out.node = &node{inputs: ins, backward: backward}
}

// save registers op-owned buffers that the backward of out reads, so that
// FreeGraph can return them to the pool. Only buffers nothing outside the
// graph keeps (see FreeGraph) belong here.
func (out *Tensor) save(bufs ...*Tensor) {
	out.node.saved = append(out.node.saved, bufs...)
}

// Backward computes d(t)/d(x) for every tensor x that t depends on and that
// requires a gradient, accumulating (+=) into x.Grad. t must hold exactly one
// element (a loss). Leaf gradients keep accumulating across calls until
// ZeroGrad; gradients of intermediate tensors are recomputed from zero on each
// call and dropped afterwards unless RetainGrad was called. The graph is kept,
// so Backward may run again on the same t (like torch retain_graph=True);
// dropping t frees it, and FreeGraph hands its buffers to the next step.
func (t *Tensor) Backward() {
	if len(t.Data) != 1 {
		panic(fmt.Sprintf("tensor: Backward on non-scalar shape %v", t.Shape))
	}
	t.backwardFrom([]float32{1})
}

// backwardFrom seeds d(loss)/d(t) = seed (len(t.Data) values) and propagates.
// It lets tests check ops with non-scalar outputs via a random projection.
func (t *Tensor) backwardFrom(seed []float32) {
	if !t.requiresGrad {
		panic("tensor: Backward on a tensor that does not require grad")
	}
	order := topoOrder(t)
	// Intermediate gradients start from zero on every pass, so running
	// Backward twice on one graph adds exactly two contributions to leaves.
	for _, n := range order {
		if !n.retainGrad || n.Grad == nil {
			n.Grad = nil
		} else {
			clear(n.Grad)
		}
	}
	kernels.Axpy(1, seed, t.grad())
	for i := len(order) - 1; i >= 0; i-- {
		n := order[i]
		if n.Grad != nil {
			n.node.backward(n.Grad)
		}
		if !n.retainGrad && n != t {
			// Dropped: nothing else holds an intermediate's gradient.
			freeBuf(n.Grad)
			n.Grad = nil
		}
	}
}

// topoOrder returns the non-leaf tensors reachable from root, each after all
// of its inputs (post-order), found with an explicit stack so deep graphs do
// not grow the goroutine stack.
func topoOrder(root *Tensor) []*Tensor {
	if root.node == nil {
		// A leaf: only its own gradient changes.
		return nil
	}
	type frame struct {
		t    *Tensor
		next int // index of the next input to visit
	}
	visited := map[*Tensor]bool{root: true}
	var order []*Tensor
	stack := []frame{{t: root}}
	for len(stack) > 0 {
		f := &stack[len(stack)-1]
		if f.next < len(f.t.node.inputs) {
			in := f.t.node.inputs[f.next]
			f.next++
			if in.node != nil && !visited[in] {
				visited[in] = true
				stack = append(stack, frame{t: in})
			}
			continue
		}
		order = append(order, f.t)
		stack = stack[:len(stack)-1]
	}
	return order
}

// ZeroGrad zeroes the gradients of the given tensors (typically all
// parameters before a new accumulation window).
func ZeroGrad(ts ...*Tensor) {
	for _, t := range ts {
		t.ZeroGrad()
	}
}
