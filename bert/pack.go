package bert

import (
	"github.com/medbert/medbert/nn"
	"github.com/medbert/medbert/tensor"
)

// PackForInference packs the float32 weight of every Linear layer once for
// the GEMM micro-kernels (nn.PackedLinear) and drops the unpacked copy, so
// an inference model keeps one resident copy of its weights and no call
// re-packs them; bias, GELU and residual then run in the GEMM's epilogue.
// A packed model still serves, explains (an input gradient unpacks a
// layer's weight for that call) and saves, but does not train: Forward
// with Grad or dropout is an error. An int8 model is left as it is.
func (m *Model) PackForInference() {
	if m.quant != nil {
		return
	}
	for _, nl := range m.linears() {
		if nl.l.Infer != nil {
			continue
		}
		nl.l.Infer = nn.PackLinear(nl.l)
		nl.l.Weight.Data = nil
	}
	m.packed = true
}

// Packed reports whether PackForInference ran.
func (m *Model) Packed() bool { return m.packed }

// paramData returns a parameter's values, unpacking a Linear weight that
// lives only packed (Save and Quantize of a packed model).
func (m *Model) paramData(t *tensor.Tensor) []float32 {
	if len(t.Data) > 0 {
		return t.Data
	}
	for _, nl := range m.linears() {
		if nl.l.Weight == t {
			if p, ok := nl.l.Infer.(*nn.PackedLinear); ok {
				return p.Unpacked()
			}
		}
	}
	return t.Data
}
