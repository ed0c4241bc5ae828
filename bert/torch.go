package bert

import (
	"github.com/medbert/medbert/safetensors"
	"github.com/medbert/medbert/torchfile"
)

// TensorInfo returns a tensor's stored dtype ("F32", "F16", "BF16", ...) and
// shape without decoding its data, for sources that can say (safetensors,
// PyTorch, and sharded sets of them).
func TensorInfo(src WeightSource, name string) (dtype string, shape []int, ok bool) {
	switch s := src.(type) {
	case *safetensors.File:
		if i, ok := s.Info(name); ok {
			return string(i.DType), i.Shape, true
		}
	case *torchfile.File:
		if i, ok := s.Info(name); ok {
			return i.DType, i.Shape, true
		}
	case *torchfile.Sharded:
		if sub, _, err := s.Shard(name); err == nil {
			return TensorInfo(sub, name)
		}
	}
	return "", nil, false
}
