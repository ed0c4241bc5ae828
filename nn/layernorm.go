package nn

import "github.com/medbert/medbert/tensor"

// LayerNorm is torch.nn.LayerNorm over the last dimension with an affine
// Weight (gamma) and Bias (beta).
type LayerNorm struct {
	Weight *tensor.Tensor
	Bias   *tensor.Tensor
	Eps    float32
}

// NewLayerNorm returns a LayerNorm over dim features with weight 1, bias 0.
// BERT passes config.layer_norm_eps (1e-12).
func NewLayerNorm(dim int, eps float32) *LayerNorm {
	return &LayerNorm{Weight: filled(1, dim), Bias: filled(0, dim), Eps: eps}
}

// Forward normalises x (..., dim); grad records the graph through the
// weight and bias (see the package doc).
func (l *LayerNorm) Forward(x *tensor.Tensor, grad bool) *tensor.Tensor {
	return tensor.LayerNorm(x, param(l.Weight, grad), param(l.Bias, grad), l.Eps)
}

// ForwardFreeInput is Forward for an x nothing reads afterwards: with a
// graph, x's buffer is released at once and the backward works from the
// output (tensor.LayerNormFreeInput).
func (l *LayerNorm) ForwardFreeInput(x *tensor.Tensor, grad bool) *tensor.Tensor {
	return tensor.LayerNormFreeInput(x, param(l.Weight, grad), param(l.Bias, grad), l.Eps)
}

// Params returns "weight" and "bias" (HF's current names; old checkpoints'
// "gamma"/"beta" are mapped by the loader).
func (l *LayerNorm) Params(prefix string) []Param {
	return []Param{{Join(prefix, "weight"), l.Weight}, {Join(prefix, "bias"), l.Bias}}
}
