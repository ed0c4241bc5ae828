package tensor

import (
	"fmt"

	"github.com/medbert/medbert/kernels"
)

// Linear computes y = x·wᵀ + b, as torch.nn.functional.linear.
//
//	x is (..., in), w is (out, in) (PyTorch layout), b is (out) or nil;
//	y is (..., out).
//
// Backward: dx += dy·w, dw += dyᵀ·x, db += Σ_rows dy.
func Linear(x, w, b *Tensor) *Tensor {
	rows, in, out := checkLinear("Linear", x, w, b)
	y := &Tensor{Data: newLinearOut(rows, in, out, b), Shape: withLast(x.Shape, out)}
	linearInto(y.Data, x.Data, w, b, rows, in, out)
	if tracking(x, w, b) {
		y.record(func(dy []float32) { linearBackward(dy, x, x.Data, w, b, rows, in, out) }, x, w, b)
	}
	return y
}

// checkLinear panics, naming op, unless w is (out, in), x is (..., in) and
// b is nil or (out); it returns the row count, in and out.
func checkLinear(op string, x, w, b *Tensor) (rows, in, out int) {
	if w.Dims() != 2 {
		panic(fmt.Sprintf("tensor: %s: weight must be 2-D, got %v", op, w.Shape))
	}
	out, in = w.Shape[0], w.Shape[1]
	if x.Dims() == 0 || x.lastDim() != in {
		panic(fmt.Sprintf("tensor: %s: input %v does not end in %d", op, x.Shape, in))
	}
	if b != nil && b.Size() != out {
		panic(fmt.Sprintf("tensor: %s: bias %v for %d outputs", op, b.Shape, out))
	}
	return x.Size() / max(in, 1), in, out
}

// newLinearOut returns a buffer for linearInto's rows×out result: dirty
// when linearInto writes every element (by the bias copy, or by the GEMM
// with beta 0, which does not read C, as long as there is a product to
// sum), zeroed otherwise.
func newLinearOut(rows, in, out int, b *Tensor) []float32 {
	if b != nil || in > 0 {
		return newBufDirty(rows * out)
	}
	return newBuf(rows * out)
}

// linearInto writes y = x·wᵀ + b for x (rows, in) and w (out, in).
func linearInto(y, x []float32, w, b *Tensor, rows, in, out int) {
	var beta float32
	if b != nil {
		for r := 0; r < rows; r++ {
			copy(y[r*out:(r+1)*out], b.Data)
		}
		beta = 1
	}
	kernels.Sgemm(false, true, rows, out, in, 1, x, max(in, 1), w.Data, max(in, 1), beta, y, max(out, 1))
}

// linearBackward accumulates Linear's gradients for output gradient dy:
// dx += dy·w into x's gradient, dw += dyᵀ·xData, db += Σ_rows dy. xData is
// the input's value (x.Data, or a recomputed activation of it).
func linearBackward(dy []float32, x *Tensor, xData []float32, w, b *Tensor, rows, in, out int) {
	if x.requiresGrad {
		kernels.Sgemm(false, false, rows, in, out, 1, dy, max(out, 1), w.Data, max(in, 1), 1, x.grad(), max(in, 1))
	}
	if w.requiresGrad {
		kernels.Sgemm(true, false, out, in, rows, 1, dy, max(out, 1), xData, max(in, 1), 1, w.grad(), max(in, 1))
	}
	if b != nil && b.requiresGrad {
		db := b.grad()
		for r := 0; r < rows; r++ {
			kernels.Axpy(1, dy[r*out:(r+1)*out], db)
		}
	}
}

// MatMul computes c = op(a)·op(b) for 2-D tensors, op(X) = X or Xᵀ.
//
//	op(a) is (m, k), op(b) is (k, n); c is (m, n).
func MatMul(a, b *Tensor, transA, transB bool) *Tensor {
	if a.Dims() != 2 || b.Dims() != 2 {
		panic(fmt.Sprintf("tensor: MatMul: need 2-D operands, got %v and %v", a.Shape, b.Shape))
	}
	m, k := a.Shape[0], a.Shape[1]
	if transA {
		m, k = k, m
	}
	kb, n := b.Shape[0], b.Shape[1]
	if transB {
		kb, n = n, kb
	}
	if k != kb {
		panic(fmt.Sprintf("tensor: MatMul: inner dimensions differ: %v (trans %v) · %v (trans %v)", a.Shape, transA, b.Shape, transB))
	}
	lda, ldb := max(a.Shape[1], 1), max(b.Shape[1], 1)
	c := Zeros(m, n)
	kernels.Sgemm(transA, transB, m, n, k, 1, a.Data, lda, b.Data, ldb, 0, c.Data, max(n, 1))
	if tracking(a, b) {
		c.record(func(dc []float32) {
			if a.requiresGrad {
				if !transA { // dA (m×k) += dC · op(b)ᵀ
					kernels.Sgemm(false, !transB, m, k, n, 1, dc, max(n, 1), b.Data, ldb, 1, a.grad(), lda)
				} else { // dA (k×m) += op(b) · dCᵀ
					kernels.Sgemm(transB, true, k, m, n, 1, b.Data, ldb, dc, max(n, 1), 1, a.grad(), lda)
				}
			}
			if b.requiresGrad {
				if !transB { // dB (k×n) += op(a)ᵀ · dC
					kernels.Sgemm(!transA, false, k, n, m, 1, a.Data, lda, dc, max(n, 1), 1, b.grad(), ldb)
				} else { // dB (n×k) += dCᵀ · op(a)
					kernels.Sgemm(true, transA, n, k, m, 1, dc, max(n, 1), a.Data, lda, 1, b.grad(), ldb)
				}
			}
		}, a, b)
	}
	return c
}
