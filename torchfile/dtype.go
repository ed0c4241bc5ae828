package torchfile

import (
	"fmt"

	"github.com/medbert/medbert/safetensors"
)

// Torch storages are named with safetensors' dtype spellings (F32, BF16,
// I64, ...), so the element decoders are safetensors' own: one
// implementation of F16/BF16 widening in the module.

// toFloat32 decodes little-endian floating-point bytes of dtype dt.
func toFloat32(dt string, b []byte) ([]float32, error) {
	d := safetensors.DType(dt)
	if d.Size() == 0 {
		return nil, fmt.Errorf("dtype %s is not supported as float32", dt)
	}
	out := make([]float32, len(b)/d.Size())
	if err := safetensors.DecodeFloat32(out, b, d); err != nil {
		return nil, err
	}
	return out, nil
}

// toInt64s decodes little-endian integer or bool bytes of dtype dt.
func toInt64s(dt string, b []byte) ([]int64, error) {
	d := safetensors.DType(dt)
	if d.Size() == 0 {
		return nil, fmt.Errorf("dtype %s is not an integer type (use Float32)", dt)
	}
	out := make([]int64, len(b)/d.Size())
	if err := safetensors.DecodeInt64(out, b, d); err != nil {
		return nil, err
	}
	return out, nil
}
