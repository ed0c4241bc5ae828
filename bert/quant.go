package bert

import (
	"encoding/json"
	"fmt"

	"github.com/medbert/medbert/nn"
	"github.com/medbert/medbert/tensor"
)

// Int8 dynamic quantization of a BERT model (inference only), the job of
// torch.ao.quantization.quantize_dynamic(model, {nn.Linear}, torch.qint8):
// every Linear (Q/K/V, attention output, FFN, pooler, task head) gets int8
// weights (symmetric, per output channel or per tensor) and quantizes its
// input per row at run time (kernels.LinearInt8). Embeddings, LayerNorm,
// softmax and GELU stay float32; optionally the word-embedding table is
// stored as int8 rows with per-row scales. The tied MLM decoder stays
// float32 (it is the embedding table, not a Linear here).

// QuantMethod is the quantization_config.quant_method of medbert int8 folders.
const QuantMethod = "medbert_dynamic_int8"

// keyQuantConfig is the config.json entry describing an int8 folder.
const keyQuantConfig = "quantization_config"

// Granularities of the weight scales.
const (
	GranularityPerChannel = "per_channel"
	GranularityPerTensor  = "per_tensor"
)

// QuantConfig is config.json's quantization_config for an int8 folder.
type QuantConfig struct {
	QuantMethod string `json:"quant_method"` // QuantMethod
	Weights     string `json:"weights"`      // "int8_symmetric"
	Granularity string `json:"granularity"`  // per_channel | per_tensor
	// Activations documents the run-time scheme: u8 in [0, 127] with a scale
	// and zero point per row (kernels.QuantizeRowsU8).
	Activations string `json:"activations"`
	// Embeddings is "float32" or "int8_per_row" (word embeddings only).
	Embeddings string `json:"embeddings"`
	// ScaleSuffix: the F32 scales of int8 tensor "X" are stored as "X"+ScaleSuffix.
	ScaleSuffix string `json:"scale_suffix"`
}

const (
	scaleSuffix     = "_scale"
	embFloat32      = "float32"
	embInt8PerRow   = "int8_per_row"
	actPerRowU8Bits = "dynamic_per_row_uint8_7bit"
)

// QuantOptions choose how Quantize quantizes.
type QuantOptions struct {
	PerTensor  bool // one weight scale per tensor (torch's default) instead of per output channel
	Embeddings bool // also store the word embeddings as int8 rows (not for the mlm head)
}

// Quantized reports whether the model runs int8 Linear layers.
func (m *Model) Quantized() bool { return m.quant != nil }

// QuantConfig returns the quantization settings, or nil for a float32 model.
func (m *Model) QuantConfig() *QuantConfig {
	if m.quant == nil {
		return nil
	}
	c := *m.quant
	return &c
}

// namedLinear is one Linear layer with its canonical weight key.
type namedLinear struct {
	key string // "bert.encoder.layer.0.attention.self.query.weight"
	l   *nn.Linear
}

// linears lists every Linear layer of the model with its weight key.
func (m *Model) linears() []namedLinear {
	var ls []*nn.Linear
	for _, l := range m.Bert.Encoder.Layers {
		s := l.Attention.Self
		ls = append(ls, s.Query, s.Key, s.Value, l.Attention.Output.Dense, l.Intermediate.Dense, l.Output.Dense)
	}
	if m.Bert.Pooler != nil {
		ls = append(ls, m.Bert.Pooler.Dense)
	}
	switch {
	case m.SeqCls != nil:
		ls = append(ls, m.SeqCls.Classifier)
	case m.TokenCls != nil:
		ls = append(ls, m.TokenCls.Classifier)
	case m.QA != nil:
		ls = append(ls, m.QA.QAOutputs)
	case m.MLM != nil:
		ls = append(ls, m.MLM.Transform.Dense)
	}
	byWeight := make(map[*tensor.Tensor]*nn.Linear, len(ls))
	for _, l := range ls {
		byWeight[l.Weight] = l
	}
	var out []namedLinear
	for _, p := range m.Params() {
		if l := byWeight[p.T]; l != nil {
			out = append(out, namedLinear{p.Name, l})
		}
	}
	return out
}

// Quantize converts the model in place to int8 Linear layers (and, with
// opt.Embeddings, int8 word embeddings). The float32 weights it replaces
// are released (their tensors keep their shape but no data), so the model
// then needs about a quarter of the memory for them. A quantized model is
// for inference: Forward in training mode is an error, and Save writes an
// int8 folder that Load reads back.
func (m *Model) Quantize(opt QuantOptions) error {
	if m.quant != nil {
		return fmt.Errorf("quantize: the model is already int8")
	}
	if opt.Embeddings && m.MLM != nil {
		return fmt.Errorf("quantize: --quantize-embeddings is not supported for the mlm head (its decoder is tied to the word embeddings)")
	}
	for _, nl := range m.linears() {
		nl.l.Weight.Data = m.paramData(nl.l.Weight) // a packed model's weights, unpacked
		nl.l.Infer = nn.QuantizeLinear(nl.l, opt.PerTensor)
		nl.l.Weight.Data = nil
	}
	m.packed = false
	qc := QuantConfig{QuantMethod: QuantMethod, Weights: "int8_symmetric", Granularity: GranularityPerChannel,
		Activations: actPerRowU8Bits, Embeddings: embFloat32, ScaleSuffix: scaleSuffix}
	if opt.PerTensor {
		qc.Granularity = GranularityPerTensor
	}
	if opt.Embeddings {
		e := m.Bert.Embeddings.WordEmbeddings
		e.Infer = nn.QuantizeEmbedding(e)
		e.Weight.Data = nil
		qc.Embeddings = embInt8PerRow
	}
	m.setQuant(&qc)
	return nil
}

// setQuant records qc as the model's quantization (saved as config.json's
// quantization_config); its layers already hold their int8 kernels.
func (m *Model) setQuant(qc *QuantConfig) {
	m.quant = qc
	b, _ := json.Marshal(qc) // a struct of strings: cannot fail
	if m.Config.Extra == nil {
		m.Config.Extra = map[string]json.RawMessage{}
	}
	m.Config.Extra[keyQuantConfig] = b
}

// WeightBytes is the memory the model's weights occupy: float32 tensors at 4
// bytes per value, int8 layers at their packed size plus scales.
func (m *Model) WeightBytes() int {
	n := 0
	for _, p := range m.Params() {
		n += 4 * len(p.T.Data)
	}
	for _, nl := range m.linears() {
		switch k := nl.l.Infer.(type) {
		case *nn.QuantLinear:
			n += k.Bytes() - 4*len(k.Bias) // the bias is counted with the float params
		case *nn.PackedLinear:
			n += k.Bytes()
		}
	}
	if e := m.Bert.Embeddings.WordEmbeddings.Infer; e != nil {
		n += e.Bytes()
	}
	return n
}
