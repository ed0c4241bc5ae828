package tensor

import (
	"fmt"

	"github.com/medbert/medbert/kernels"
)

// LayerNorm normalises x over its last dimension, as torch.nn.LayerNorm with
// biased variance:
//
//	x is (..., D), gamma and beta are (D); y = (x-mean)/sqrt(var+eps)·gamma + beta.
//
// With gradients on, the per-row mean and 1/std are saved so the fused
// backward (kernels.LayerNormBackward) needs no recomputation of statistics.
func LayerNorm(x, gamma, beta *Tensor, eps float32) *Tensor {
	d := x.lastDim()
	if x.Dims() == 0 || gamma.Size() != d || beta.Size() != d {
		panic(fmt.Sprintf("tensor: LayerNorm: input %v, gamma %v, beta %v", x.Shape, gamma.Shape, beta.Shape))
	}
	rows := 0
	if d > 0 {
		rows = x.Size() / d
	}
	y := empty(x.Shape...) // the kernel writes every row
	if !tracking(x, gamma, beta) {
		kernels.LayerNorm(y.Data, nil, nil, x.Data, gamma.Data, beta.Data, rows, d, eps)
		return y
	}
	mean := make([]float32, rows)
	rstd := make([]float32, rows)
	kernels.LayerNorm(y.Data, mean, rstd, x.Data, gamma.Data, beta.Data, rows, d, eps)
	y.record(func(dy []float32) {
		var dx, dg, db []float32
		if x.requiresGrad {
			dx = x.grad()
		} else {
			// The kernel always produces dx; give it a throwaway buffer.
			dx = newBuf(len(x.Data))
			defer freeBuf(dx)
		}
		if gamma.requiresGrad {
			dg = gamma.grad()
		}
		if beta.requiresGrad {
			db = beta.grad()
		}
		kernels.LayerNormBackward(dx, dg, db, dy, x.Data, mean, rstd, gamma.Data, rows, d)
	}, x, gamma, beta)
	return y
}
