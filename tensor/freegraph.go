package tensor

// FreeGraph releases the graph that computed t, once every Backward on it
// is done: the Data of each intermediate tensor reachable from t and the
// buffers its ops saved for the backward (dropout masks, attention
// probabilities) go back to the buffer pool, where the next step's
// activations are taken from instead of fresh, page-faulting memory (about
// a gigabyte per bert-base training step).
//
// Afterwards the intermediate tensors are detached and empty (Data nil), so
// a stray use fails loudly instead of reading reused memory. The caller
// guarantees that nothing still uses them: not the tensors themselves, not
// tensors sharing their data (Detach, Reshape views made outside the
// graph), not the attention probabilities returned next to an
// AttentionDropout output, and no other graph still to be backpropagated.
// t keeps its value (Item still works) but is detached, so Backward on it
// panics. Leaves (parameters, inputs) and their Data and Grad are untouched;
// a retained intermediate Grad is left to the garbage collector.
//
// Without FreeGraph the graph is simply garbage-collected when t is
// dropped, which is always safe; a training loop calls it right after
// Backward:
//
//	loss.Backward()
//	loss.FreeGraph()
func (t *Tensor) FreeGraph() {
	for _, n := range topoOrder(t) {
		nd := n.node
		for _, b := range nd.saved {
			freeBuf(b.Data)
			b.Data = nil
		}
		if n != t {
			if !nd.view {
				freeBuf(n.Data)
			}
			n.Data = nil
		}
		if !n.retainGrad {
			// Intermediate gradients were already pooled by Backward;
			// t's own seed gradient is small or the caller's.
			n.Grad = nil
		}
		n.node = nil
		n.requiresGrad = false
	}
}
