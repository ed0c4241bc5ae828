package nn

import (
	"fmt"

	"github.com/medbert/medbert/kernels"
	"github.com/medbert/medbert/tensor"
)

// FusedLinearKernel is a LinearKernel that can also apply the exact erf
// GELU and add a residual in its GEMM epilogue, while each block of the
// output is still in cache: act(x·Wᵀ + b) + residual in one pass.
type FusedLinearKernel interface {
	LinearKernel
	// ForwardFused computes act(x·Wᵀ + b) + residual (residual nil: none;
	// gelu false: no activation). It records no graph.
	ForwardFused(x *tensor.Tensor, gelu bool, residual *tensor.Tensor) *tensor.Tensor
}

// PackedLinear is a float32 Linear for inference whose weight lives only
// packed for the GEMM micro-kernels (kernels.PackWeights): packing once at
// load instead of on every call, with bias, GELU and residual fused into
// the GEMM (kernels.Linear).
type PackedLinear struct {
	In, Out int
	W       *kernels.PackedB
	Bias    []float32 // Out values, or nil
}

// PackLinear packs l's weight. It does not modify l.
func PackLinear(l *Linear) *PackedLinear {
	out, in := l.Weight.Shape[0], l.Weight.Shape[1]
	p := &PackedLinear{In: in, Out: out, W: kernels.PackWeights(out, in, l.Weight.Data)}
	if l.Bias != nil {
		p.Bias = l.Bias.Data
	}
	return p
}

// Forward implements LinearKernel.
func (p *PackedLinear) Forward(x *tensor.Tensor) *tensor.Tensor { return p.ForwardFused(x, false, nil) }

// ForwardFused implements FusedLinearKernel.
func (p *PackedLinear) ForwardFused(x *tensor.Tensor, gelu bool, residual *tensor.Tensor) *tensor.Tensor {
	rows, y := outputFor(x, p.In, p.Out, "PackedLinear")
	kernels.Linear(rows, x.Data, p.W, p.Bias, activation(gelu), residualData(residual, y), y.Data)
	return y
}

// Bytes implements LinearKernel: the packed weight and the bias.
func (p *PackedLinear) Bytes() int { return p.W.Bytes() }

// Unpacked returns the weight (Out×In) from its packed form, for a
// backward to the input through a model whose weights only live packed.
func (p *PackedLinear) Unpacked() []float32 {
	w := make([]float32, p.In*p.Out)
	p.W.Unpack(w)
	return w
}

// outputFor checks that x ends in in and returns its row count and a
// (..., out) output with arbitrary contents: the kernels write every element.
func outputFor(x *tensor.Tensor, in, out int, who string) (int, *tensor.Tensor) {
	if x.Dims() == 0 || x.Shape[x.Dims()-1] != in {
		panic(fmt.Sprintf("nn: %s: input %v does not end in %d", who, x.Shape, in))
	}
	shape := append(append([]int(nil), x.Shape[:x.Dims()-1]...), out)
	return x.Size() / max(in, 1), tensor.Empty(shape...)
}

func activation(gelu bool) kernels.Activation {
	if gelu {
		return kernels.GELUActivation
	}
	return kernels.NoActivation
}

func residualData(r, y *tensor.Tensor) []float32 {
	if r == nil {
		return nil
	}
	if r.Size() != y.Size() {
		panic(fmt.Sprintf("nn: residual %v for output %v", r.Shape, y.Shape))
	}
	return r.Data
}
