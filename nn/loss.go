package nn

import "github.com/medbert/medbert/tensor"

// IgnoreIndex is the label PyTorch and HF use for positions that do not count
// in the loss (padding, non-first sub-tokens, unmasked MLM positions).
const IgnoreIndex = -100

// CrossEntropy is torch.nn.CrossEntropyLoss() with the default
// ignore_index -100 and optional class weights: logits (N, C), labels N
// entries. See tensor.CrossEntropy for the exact semantics (weighted mean over
// non-ignored labels).
func CrossEntropy(logits *tensor.Tensor, labels []int, weights []float32) *tensor.Tensor {
	return tensor.CrossEntropy(logits, labels, IgnoreIndex, weights)
}

// BCEWithLogits is torch.nn.BCEWithLogitsLoss() (mean), for multi-label
// classification.
func BCEWithLogits(logits *tensor.Tensor, targets []float32) *tensor.Tensor {
	return tensor.BCEWithLogits(logits, targets)
}

// MSE is torch.nn.MSELoss() (mean), for regression.
func MSE(pred *tensor.Tensor, targets []float32) *tensor.Tensor {
	return tensor.MSE(pred, targets)
}
