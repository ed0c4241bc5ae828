package nn

import (
	"fmt"
	"math"

	"github.com/medbert/medbert/kernels"
	"github.com/medbert/medbert/tensor"
)

// Int8 dynamic quantization, as torch.ao.quantization.quantize_dynamic does
// for nn.Linear: weights are int8, symmetric (zero point 0), with one scale
// per output channel (or one per tensor, torch's default); activations are
// quantized at run time, per row, by kernels.LinearInt8, and the int32
// products are dequantised with the bias added in the GEMM epilogue.
// Quantized layers are for inference only: their outputs carry no gradient.

// QuantLinear is an int8 Linear: y = x·Wᵀ + b with W ≈ Scale[j]·Q[j][:].
type QuantLinear struct {
	In, Out   int
	W         *kernels.PackedInt8 // Q, packed for the GEMM micro-kernels
	Scale     []float32           // per output channel (Out values)
	PerTensor bool                // all Scale values equal (one scale per tensor)
	Bias      []float32           // Out values, or nil
}

// QuantizeWeights quantizes w (out×in, row-major) symmetrically to int8 in
// [−127, 127] (−128 is never used, so that negating a weight stays exact):
//
//	scale[j] = max_p |w[j][p]| / 127   (per channel; one max over all of w when perTensor)
//	q[j][p]  = round(w[j][p] / scale[j])
//
// A zero row (or tensor) gets scale 1. It returns q and the Out scales.
func QuantizeWeights(w []float32, out, in int, perTensor bool) ([]int8, []float32) {
	q := make([]int8, out*in)
	scale := make([]float32, out)
	var all float32
	if perTensor {
		for _, v := range w[:out*in] {
			all = max(all, abs32(v))
		}
	}
	for j := 0; j < out; j++ {
		row := w[j*in : (j+1)*in]
		m := all
		if !perTensor {
			for _, v := range row {
				m = max(m, abs32(v))
			}
		}
		s := m / 127
		if !(s > 0) || math.IsInf(float64(s), 0) {
			s = 1
		}
		scale[j] = s
		inv := 1 / float64(s)
		for p, v := range row {
			r := math.Round(float64(v) * inv)
			q[j*in+p] = int8(max(-127, min(127, r)))
		}
	}
	return q, scale
}

func abs32(v float32) float32 { return math.Float32frombits(math.Float32bits(v) &^ (1 << 31)) }

// QuantizeLinear returns the int8 version of l. It does not modify l.
func QuantizeLinear(l *Linear, perTensor bool) *QuantLinear {
	out, in := l.Weight.Shape[0], l.Weight.Shape[1]
	q, scale := QuantizeWeights(l.Weight.Data, out, in, perTensor)
	var bias []float32
	if l.Bias != nil {
		bias = append([]float32(nil), l.Bias.Data...)
	}
	return &QuantLinear{In: in, Out: out, W: kernels.PackInt8(out, in, q), Scale: scale, PerTensor: perTensor, Bias: bias}
}

// NewQuantLinear builds a QuantLinear from stored int8 weights q (out×in),
// their scales (out values, or 1 for a per-tensor scale) and an optional
// bias (out values). Wrong lengths are an error naming the layer.
func NewQuantLinear(name string, in, out int, q []int8, scale, bias []float32) (*QuantLinear, error) {
	if len(q) != in*out {
		return nil, fmt.Errorf("%s: %d int8 weights, want %d×%d", name, len(q), out, in)
	}
	l := &QuantLinear{In: in, Out: out}
	switch len(scale) {
	case out:
		l.Scale = append([]float32(nil), scale...)
	case 1:
		l.PerTensor = true
		l.Scale = make([]float32, out)
		for j := range l.Scale {
			l.Scale[j] = scale[0]
		}
	default:
		return nil, fmt.Errorf("%s: %d weight scales, want %d (per channel) or 1 (per tensor)", name, len(scale), out)
	}
	for j, s := range l.Scale {
		if !(s > 0) || math.IsInf(float64(s), 0) {
			return nil, fmt.Errorf("%s: weight scale %d is %v, want a positive finite number", name, j, s)
		}
	}
	if bias != nil {
		if len(bias) != out {
			return nil, fmt.Errorf("%s: bias has %d values, want %d", name, len(bias), out)
		}
		l.Bias = append([]float32(nil), bias...)
	}
	l.W = kernels.PackInt8(out, in, q)
	return l, nil
}

// Forward maps x (..., In) to (..., Out). No gradient is recorded.
func (l *QuantLinear) Forward(x *tensor.Tensor) *tensor.Tensor { return l.ForwardFused(x, false, nil) }

// ForwardFused implements FusedLinearKernel: dequantisation, bias, GELU
// and residual in the int8 GEMM's epilogue.
func (l *QuantLinear) ForwardFused(x *tensor.Tensor, gelu bool, residual *tensor.Tensor) *tensor.Tensor {
	rows, y := outputFor(x, l.In, l.Out, "QuantLinear")
	if !gelu && residual == nil {
		kernels.LinearInt8(rows, x.Data, max(l.In, 1), l.W, l.Scale, l.Bias, y.Data, max(l.Out, 1))
		return y
	}
	kernels.LinearInt8Fused(rows, x.Data, l.W, l.Scale, l.Bias, activation(gelu), residualData(residual, y), y.Data)
	return y
}

// Int8 returns the weights as stored, out×in row-major.
func (l *QuantLinear) Int8() []int8 {
	q := make([]int8, l.In*l.Out)
	l.W.Unpack(q)
	return q
}

// StoredScale returns the scales to save: Out values, or 1 per tensor.
func (l *QuantLinear) StoredScale() []float32 {
	if l.PerTensor && len(l.Scale) > 0 {
		return l.Scale[:1]
	}
	return l.Scale
}

// Dequantized returns Scale[j]·Q[j][p] as float32 (out×in).
func (l *QuantLinear) Dequantized() []float32 {
	q := l.Int8()
	w := make([]float32, len(q))
	for i, v := range q {
		w[i] = float32(v) * l.Scale[i/max(l.In, 1)]
	}
	return w
}

// Bytes is the memory the layer's weights, scales and bias occupy.
func (l *QuantLinear) Bytes() int { return l.W.Bytes() + 4*len(l.Scale) + 4*len(l.Bias) }

// QuantEmbedding is an embedding table stored as int8 rows with one scale
// per row (symmetric): row r ≈ Scale[r]·Q[r][:]. Lookups dequantise the
// rows they return, so everything after the lookup stays float32.
type QuantEmbedding struct {
	Num, Dim   int
	Q          []int8
	Scale      []float32
	PaddingIdx int
}

// QuantizeEmbedding returns the int8 version of e (per-row scales).
func QuantizeEmbedding(e *Embedding) *QuantEmbedding {
	num, dim := e.Weight.Shape[0], e.Weight.Shape[1]
	q, s := QuantizeWeights(e.Weight.Data, num, dim, false)
	return &QuantEmbedding{Num: num, Dim: dim, Q: q, Scale: s, PaddingIdx: e.PaddingIdx}
}

// NewQuantEmbedding builds a QuantEmbedding from stored rows and scales.
func NewQuantEmbedding(name string, num, dim int, q []int8, scale []float32, paddingIdx int) (*QuantEmbedding, error) {
	if len(q) != num*dim || len(scale) != num {
		return nil, fmt.Errorf("%s: %d int8 values and %d scales, want %d×%d and %d", name, len(q), len(scale), num, dim, num)
	}
	return &QuantEmbedding{Num: num, Dim: dim, Q: q, Scale: scale, PaddingIdx: paddingIdx}, nil
}

// Forward returns the dequantised rows for ids as (len(ids), Dim). Ids must
// be in range (callers validate user input).
func (e *QuantEmbedding) Forward(ids []int) *tensor.Tensor {
	y := tensor.Zeros(len(ids), e.Dim)
	for i, id := range ids {
		s := e.Scale[id]
		row := e.Q[id*e.Dim : (id+1)*e.Dim]
		out := y.Data[i*e.Dim : (i+1)*e.Dim]
		for p, v := range row {
			out[p] = float32(v) * s
		}
	}
	return y
}

// Bytes is the memory the table occupies.
func (e *QuantEmbedding) Bytes() int { return len(e.Q) + 4*len(e.Scale) }
