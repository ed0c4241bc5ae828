package bert

import (
	"encoding/json"
	"fmt"
	"sort"
	"unsafe"

	"github.com/medbert/medbert/nn"
	"github.com/medbert/medbert/safetensors"
)

// An int8 folder is a normal model folder whose config.json carries a
// quantization_config (QuantConfig) and whose model.safetensors stores each
// quantized weight "X.weight" as I8 [out, in] (or [vocab, hidden] for the
// word embeddings) next to "X.weight_scale", F32 [out] (per channel or per
// row) or [1] (per tensor). Biases, LayerNorm, position/type embeddings and
// unquantized tensors stay F32 under their HF names. Load recognises such a
// folder and rebuilds the int8 model without ever widening the weights.

// quantTensors lists what Save writes for a quantized model.
func (m *Model) quantTensors() []safetensors.Tensor {
	qlin := map[string]*nn.QuantLinear{}
	for _, nl := range m.linears() {
		if q, ok := nl.l.Infer.(*nn.QuantLinear); ok {
			qlin[nl.key] = q
		}
	}
	var ts []safetensors.Tensor
	for _, p := range m.Params() {
		key := SaveKey(m.Head, p.Name)
		if q := qlin[p.Name]; q != nil {
			ts = append(ts, i8Tensor(key, []int{q.Out, q.In}, q.Int8()),
				safetensors.F32(key+scaleSuffix, []int{len(q.StoredScale())}, q.StoredScale()))
			continue
		}
		if p.Name == keyWordEmb {
			if e, ok := m.Bert.Embeddings.WordEmbeddings.Infer.(*nn.QuantEmbedding); ok {
				ts = append(ts, i8Tensor(key, []int{e.Num, e.Dim}, e.Q),
					safetensors.F32(key+scaleSuffix, []int{e.Num}, e.Scale))
				continue
			}
		}
		ts = append(ts, safetensors.F32(key, p.T.Shape, p.T.Data))
	}
	return ts
}

func i8Tensor(name string, shape []int, q []int8) safetensors.Tensor {
	b := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(q))), len(q))
	return safetensors.Tensor{Name: name, DType: "I8", Shape: shape, Data: b}
}

// quantConfigOf returns the config's quantization_config, or nil when the
// folder is float32. An unknown method is an error naming the file.
func quantConfigOf(cfg *Config, file string) (*QuantConfig, error) {
	raw, ok := cfg.Extra[keyQuantConfig]
	if !ok || string(raw) == "null" {
		return nil, nil
	}
	var qc QuantConfig
	if err := json.Unmarshal(raw, &qc); err != nil {
		return nil, fmt.Errorf("%s: %s: %v", file, keyQuantConfig, err)
	}
	if qc.QuantMethod != QuantMethod {
		return nil, fmt.Errorf("%s: %s.quant_method %q is not supported (want %q, written by medbert quantize)", file, keyQuantConfig, qc.QuantMethod, QuantMethod)
	}
	switch qc.Granularity {
	case GranularityPerChannel, GranularityPerTensor:
	default:
		return nil, fmt.Errorf("%s: %s.granularity %q: want %s or %s", file, keyQuantConfig, qc.Granularity, GranularityPerChannel, GranularityPerTensor)
	}
	if qc.ScaleSuffix == "" {
		qc.ScaleSuffix = scaleSuffix
	}
	return &qc, nil
}

// rawSource is the part of safetensors.File an int8 folder needs.
type rawSource interface {
	WeightSource
	Info(name string) (safetensors.Info, bool)
	Bytes(name string) ([]byte, error)
}

// loadQuantWeights fills a freshly built model from an int8 folder's
// tensors: I8 weights become int8 layers, everything else is read as F32.
// Every parameter must be present (a folder written by Save is complete).
func (m *Model) loadQuantWeights(src WeightSource, file string, qc *QuantConfig) (*LoadReport, error) {
	rs, ok := src.(rawSource)
	if !ok {
		return nil, fmt.Errorf("%s: an int8 model must be a single model.safetensors file", file)
	}
	rep := &LoadReport{Source: file}
	names := src.Names()
	ix := indexKeys(names)
	used := map[string]bool{}
	lins := map[string]*nn.Linear{}
	for _, nl := range m.linears() {
		lins[nl.key] = nl.l
	}
	for _, p := range m.Params() {
		n, ok := ix.byCanon[p.Name]
		if !ok {
			return nil, fmt.Errorf("%s: int8 model lacks tensor %q", file, SaveKey(m.Head, p.Name))
		}
		used[n] = true
		info, _ := rs.Info(n)
		if info.DType != "I8" {
			data, shape, err := src.Float32(n)
			if err != nil {
				return nil, fmt.Errorf("%s: tensor %q: %w", file, n, err)
			}
			if !shapeEq(shape, p.T.Shape) {
				return nil, &ShapeError{File: file, Key: n, Expected: append([]int(nil), p.T.Shape...), Got: shape}
			}
			p.T.Data = data
			continue
		}
		if !shapeEq(info.Shape, p.T.Shape) {
			return nil, &ShapeError{File: file, Key: n, Expected: append([]int(nil), p.T.Shape...), Got: info.Shape}
		}
		raw, err := rs.Bytes(n)
		if err != nil {
			return nil, fmt.Errorf("%s: tensor %q: %w", file, n, err)
		}
		// A view of the mmap: NewQuantLinear packs (copies) it, so no
		// reference outlives Load's Close; the embedding table copies it.
		q := unsafe.Slice((*int8)(unsafe.Pointer(unsafe.SliceData(raw))), len(raw))
		sn := n + qc.ScaleSuffix
		scale, _, err := src.Float32(sn)
		if err != nil {
			return nil, fmt.Errorf("%s: scales of int8 tensor %q: %w", file, n, err)
		}
		used[sn] = true
		rows, cols := p.T.Shape[0], p.T.Shape[1]
		switch l := lins[p.Name]; {
		case l != nil:
			var bias []float32 // loaded into l.Bias as a float param; shared below
			ql, err := nn.NewQuantLinear(file+": "+n, cols, rows, q, scale, bias)
			if err != nil {
				return nil, err
			}
			l.Infer = ql
		case p.Name == keyWordEmb && m.MLM == nil:
			e := m.Bert.Embeddings.WordEmbeddings
			qe, err := nn.NewQuantEmbedding(file+": "+n, rows, cols, append([]int8(nil), q...), scale, e.PaddingIdx)
			if err != nil {
				return nil, err
			}
			e.Infer = qe
		default:
			return nil, fmt.Errorf("%s: tensor %q is I8 but only Linear weights and the word embeddings (not with the mlm head) can be int8", file, n)
		}
		p.T.Data = nil
	}
	// Biases were read as float params; the int8 layers use those slices.
	for _, nl := range m.linears() {
		if ql, ok := nl.l.Infer.(*nn.QuantLinear); ok && nl.l.Bias != nil {
			ql.Bias = nl.l.Bias.Data
		}
	}
	for _, n := range names {
		if !used[n] && CanonicalKey(n) != keyPositionIDs {
			rep.Unused = append(rep.Unused, n)
		}
	}
	sort.Strings(rep.Unused)
	m.setQuant(qc)
	return rep, nil
}
