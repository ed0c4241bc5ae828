package tensor

import (
	"fmt"
	"math"

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
	return layerNorm("LayerNorm", x, gamma, beta, eps, false)
}

// layerNorm is LayerNorm; with fromOutput (LayerNormFreeInput, checked by
// its caller) x is released after the forward and the backward rebuilds
// x − mean from the output.
func layerNorm(op string, x, gamma, beta *Tensor, eps float32, fromOutput bool) *Tensor {
	d := x.lastDim()
	if x.Dims() == 0 || gamma.Size() != d || beta.Size() != d {
		panic(fmt.Sprintf("tensor: %s: input %v, gamma %v, beta %v", op, x.Shape, gamma.Shape, beta.Shape))
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
	if fromOutput {
		freeBuf(x.Data)
		x.Data = nil
		clear(mean) // the rebuilt input is already centred
	}
	y.record(func(dy []float32) {
		xd := x.Data
		if fromOutput {
			// x − mean rebuilt from y: the kernel normalises it with the
			// saved rstd (its mean argument is zero).
			xd = newBufDirty(rows * d)
			defer freeBuf(xd)
			centred(xd, y.Data, gamma.Data, beta.Data, rstd, rows, d)
		}
		var dx, dg, db []float32
		if x.requiresGrad {
			dx = x.grad()
		} else {
			// The kernel always produces dx; give it a throwaway buffer.
			dx = newBuf(rows * d)
			defer freeBuf(dx)
		}
		if gamma.requiresGrad {
			dg = gamma.grad()
		}
		if beta.requiresGrad {
			db = beta.grad()
		}
		kernels.LayerNormBackward(dx, dg, db, dy, xd, mean, rstd, gamma.Data, rows, d)
	}, x, gamma, beta)
	return y
}

// maxBetaOverGamma bounds max|β/γ| for LayerNormFreeInput's reconstruction:
// x̂ = (y−β)/γ carries an absolute error of about ε·(|x̂| + |β/γ|) (ε the
// float32 rounding of y), so below this bound x̂ is as exact as float32
// allows for the |x̂| ≲ 10 a normalised row has; above it (or with a zero γ)
// the op keeps its input like LayerNorm.
const maxBetaOverGamma = 64

// LayerNormFreeInput is LayerNorm for an input that nothing else reads: in
// a graph its backward recovers the normalised input from the output,
// x̂ = (y−β)/γ (the memory-efficient LayerNorm of NVIDIA Apex), so x's
// buffer goes back to the pool as soon as y is computed instead of living
// until FreeGraph. A BERT layer's two LayerNorms read residual sums that
// die there: a training graph keeps two activations per layer fewer.
//
// The caller guarantees that x is dead after this call: no later op reads
// it and no recorded backward reads its value (ops that only pass a
// gradient through, as Add, LinearDropoutAdd or the activations' outputs,
// qualify). Afterwards x.Data is nil. Without a graph, when x is a leaf or
// a view, or when γ has a zero or max|β/γ| exceeds maxBetaOverGamma (the
// reconstruction would lose precision), it is LayerNorm and x is left
// alone. The gradients agree with LayerNorm's to float32 rounding.
func LayerNormFreeInput(x, gamma, beta *Tensor, eps float32) *Tensor {
	fromOutput := tracking(x, gamma, beta) && x.node != nil && !x.node.view && reconstructible(gamma.Data, beta.Data)
	return layerNorm("LayerNormFreeInput", x, gamma, beta, eps, fromOutput)
}

// reconstructible reports whether every γ is non-zero and |β/γ| stays within
// maxBetaOverGamma.
func reconstructible(gamma, beta []float32) bool {
	if len(beta) != len(gamma) {
		return false // layerNorm refuses the shapes
	}
	for j, g := range gamma {
		if !(g != 0 && math.Abs(float64(beta[j])) <= maxBetaOverGamma*math.Abs(float64(g))) {
			return false
		}
	}
	return true
}

// centred writes xc[r, j] = (y[r, j] − β[j]) / (γ[j]·rstd[r]): the input
// minus its row mean, recovered from LayerNorm's output.
func centred(xc, y, gamma, beta, rstd []float32, rows, d int) {
	inv := make([]float32, d)
	for j, g := range gamma {
		inv[j] = 1 / g
	}
	for r := range rows {
		s := 1 / rstd[r]
		yr, xr := y[r*d:(r+1)*d], xc[r*d:(r+1)*d]
		for j := range d {
			xr[j] = (yr[j] - beta[j]) * inv[j] * s
		}
	}
}
