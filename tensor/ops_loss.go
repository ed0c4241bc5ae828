package tensor

import (
	"fmt"
	"math"

	"github.com/medbert/medbert/kernels"
)

// CrossEntropy is torch.nn.functional.cross_entropy with mean reduction:
//
//	logits is (N, C) (any shape ending in C, viewed as N rows); labels has N
//	entries in [0, C) or equal to ignoreIndex (HF uses -100);
//	weights is nil or (C) class weights;
//	loss = Σ_i w[y_i]·(logsumexp(x_i) - x_i[y_i]) / Σ_i w[y_i] over non-ignored i.
//
// The result is a 0-dim tensor. As in torch, if every label is ignored (or
// the weights of the targets sum to 0) the loss is NaN; unlike torch, whose
// gradients are then NaN too, its backward adds nothing, so one all-padding
// batch cannot poison the parameters (Backward still runs without error). Log-sum-exp is accumulated in float64. Only the per-row logsumexp
// is saved: the backward recomputes softmax from the logits, which the graph
// keeps anyway, instead of storing an (N, C) probability matrix (large for
// masked-LM over a 30k vocabulary).
//
// Backward: dx_i += dy·w[y_i]/Σw·(softmax(x_i) - onehot(y_i)).
// A label outside [0, C) that is not ignoreIndex panics: callers validate labels.
func CrossEntropy(logits *Tensor, labels []int, ignoreIndex int, weights []float32) *Tensor {
	c := logits.lastDim()
	if logits.Dims() == 0 || c == 0 || logits.Size()/c != len(labels) {
		panic(fmt.Sprintf("tensor: CrossEntropy: logits %v with %d labels", logits.Shape, len(labels)))
	}
	if weights != nil && len(weights) != c {
		panic(fmt.Sprintf("tensor: CrossEntropy: %d class weights for %d classes", len(weights), c))
	}
	n := len(labels)
	x := logits.Data
	for i, y := range labels {
		if y != ignoreIndex && (y < 0 || y >= c) {
			panic(fmt.Sprintf("tensor: CrossEntropy: label %d at row %d outside [0, %d)", y, i, c))
		}
	}
	// Rows are independent: the log-sum-exps (the costly part with a
	// vocabulary-sized C) run in parallel; the sums stay in row order so
	// the loss does not depend on the thread count.
	lse := make([]float64, n)
	kernels.ParallelFor(n, ceRowChunk(c), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			if labels[i] != ignoreIndex {
				lse[i] = logSumExp(x[i*c : (i+1)*c])
			}
		}
	})
	var total, wsum float64
	for i, y := range labels {
		if y == ignoreIndex {
			continue
		}
		w := 1.0
		if weights != nil {
			w = float64(weights[y])
		}
		total += w * (lse[i] - float64(x[i*c+y]))
		wsum += w
	}
	loss := Scalar(float32(total / wsum)) // 0/0 = NaN when nothing counts, as torch
	if tracking(logits) {
		loss.record(func(dy []float32) {
			if wsum == 0 {
				return
			}
			g := float64(dy[0]) / wsum
			dx := logits.grad()
			kernels.ParallelFor(n, ceRowChunk(c), func(lo, hi int) {
				p := make([]float32, c)
				for i := lo; i < hi; i++ {
					y := labels[i]
					if y == ignoreIndex {
						continue
					}
					w := g
					if weights != nil {
						w *= float64(weights[y])
					}
					// softmax(row) = exp(row - lse); the vector kernel
					// recomputes it from the row in float32.
					kernels.SoftmaxRows(p, x[i*c:(i+1)*c], 1, c, 1, nil)
					drow := dx[i*c : (i+1)*c]
					kernels.Axpy(float32(w), p, drow)
					drow[y] -= float32(w)
				}
			})
		}, logits)
	}
	return loss
}

// ceRowChunk is the fewest rows of C classes worth a parallel task.
func ceRowChunk(c int) int { return max(1, 1<<15/max(c, 1)) }

// logSumExp returns log Σ exp(row) in float64, shifted by the max for range.
func logSumExp(row []float32) float64 {
	mx := math.Inf(-1)
	for _, v := range row {
		mx = max(mx, float64(v))
	}
	if math.IsInf(mx, 0) {
		return mx
	}
	var s float64
	for _, v := range row {
		s += math.Exp(float64(v) - mx)
	}
	return mx + math.Log(s)
}

// BCEWithLogits is torch's binary_cross_entropy_with_logits with mean
// reduction (HF problem_type "multi_label_classification"):
//
//	logits and targets have the same number of elements (targets in [0, 1]);
//	loss = mean(max(x,0) - x·t + log(1+exp(-|x|))) (the stable form).
//
// Backward: dx += dy·(sigmoid(x) - t)/n.
func BCEWithLogits(logits *Tensor, targets []float32) *Tensor {
	if len(targets) != logits.Size() || len(targets) == 0 {
		panic(fmt.Sprintf("tensor: BCEWithLogits: logits %v with %d targets", logits.Shape, len(targets)))
	}
	var total float64
	for i, v := range logits.Data {
		x, t := float64(v), float64(targets[i])
		total += math.Max(x, 0) - x*t + math.Log1p(math.Exp(-math.Abs(x)))
	}
	n := float64(len(targets))
	loss := Scalar(float32(total / n))
	if tracking(logits) {
		loss.record(func(dy []float32) {
			g := float64(dy[0]) / n
			dx := logits.grad()
			for i, v := range logits.Data {
				s := 1 / (1 + math.Exp(-float64(v)))
				dx[i] += float32(g * (s - float64(targets[i])))
			}
		}, logits)
	}
	return loss
}

// MSE is torch's mse_loss with mean reduction (HF problem_type
// "regression"): loss = mean((x - t)²) over all elements.
// Backward: dx += dy·2(x - t)/n.
func MSE(pred *Tensor, targets []float32) *Tensor {
	if len(targets) != pred.Size() || len(targets) == 0 {
		panic(fmt.Sprintf("tensor: MSE: prediction %v with %d targets", pred.Shape, len(targets)))
	}
	var total float64
	for i, v := range pred.Data {
		d := float64(v) - float64(targets[i])
		total += d * d
	}
	n := float64(len(targets))
	loss := Scalar(float32(total / n))
	if tracking(pred) {
		loss.record(func(dy []float32) {
			g := 2 * float64(dy[0]) / n
			dx := pred.grad()
			for i, v := range pred.Data {
				dx[i] += float32(g * (float64(v) - float64(targets[i])))
			}
		}, pred)
	}
	return loss
}
