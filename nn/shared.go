package nn

import (
	"github.com/medbert/medbert/kernels"
	"github.com/medbert/medbert/tensor"
)

// ForwardShared applies, without recording a graph, layers that all read x
// (a transformer's query, key and value projections). When every layer has
// a packed float32 kernel (PackedLinear), or every one an int8 kernel
// (QuantLinear), over x's width, they run as one kernels job that packs or
// quantizes x once for all of them (kernels.LinearShared,
// LinearInt8Shared); otherwise each layer runs Forward(x, false). The
// results are the same bits either way.
func ForwardShared(x *tensor.Tensor, layers ...*Linear) []*tensor.Tensor {
	out := make([]*tensor.Tensor, len(layers))
	if !x.RequiresGrad() && len(layers) > 1 {
		switch layers[0].Infer.(type) {
		case *PackedLinear:
			if ps, ok := kernelsOf[*PackedLinear](layers, x); ok {
				ws, biases, ys := make([]*kernels.PackedB, len(ps)), make([][]float32, len(ps)), make([][]float32, len(ps))
				rows := 0
				for i, p := range ps {
					rows, out[i] = outputFor(x, p.In, p.Out, "PackedLinear")
					ws[i], biases[i], ys[i] = p.W, p.Bias, out[i].Data
				}
				kernels.LinearShared(rows, x.Data, ws, biases, ys)
				return out
			}
		case *QuantLinear:
			if qs, ok := kernelsOf[*QuantLinear](layers, x); ok {
				ws, scales, biases, ys := make([]*kernels.PackedInt8, len(qs)), make([][]float32, len(qs)), make([][]float32, len(qs)), make([][]float32, len(qs))
				rows := 0
				for i, q := range qs {
					rows, out[i] = outputFor(x, q.In, q.Out, "QuantLinear")
					ws[i], scales[i], biases[i], ys[i] = q.W, q.Scale, q.Bias, out[i].Data
				}
				kernels.LinearInt8Shared(rows, x.Data, ws, scales, biases, ys)
				return out
			}
		}
	}
	for i, l := range layers {
		out[i] = l.Forward(x, false)
	}
	return out
}

// kernelsOf returns every layer's kernel when all are of type K, non-empty
// and take x's last dimension as input.
func kernelsOf[K interface {
	*PackedLinear | *QuantLinear
	dims() (in, out int)
}](layers []*Linear, x *tensor.Tensor) ([]K, bool) {
	ks := make([]K, len(layers))
	for i, l := range layers {
		k, ok := l.Infer.(K)
		if !ok {
			return nil, false
		}
		in, out := k.dims()
		if in == 0 || out == 0 || x.Dims() == 0 || x.Shape[x.Dims()-1] != in {
			return nil, false
		}
		ks[i] = k
	}
	return ks, true
}

func (p *PackedLinear) dims() (in, out int) { return p.In, p.Out }
func (l *QuantLinear) dims() (in, out int)  { return l.In, l.Out }
