package torchfile

import (
	"encoding/binary"
	"fmt"
	"math"
)

// toFloat32 decodes little-endian floating-point bytes of dtype dt.
func toFloat32(dt string, b []byte) ([]float32, error) {
	switch dt {
	case "F32":
		out := make([]float32, len(b)/4)
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
		return out, nil
	case "F16":
		out := make([]float32, len(b)/2)
		for i := range out {
			out[i] = f16ToF32(binary.LittleEndian.Uint16(b[2*i:]))
		}
		return out, nil
	case "BF16":
		out := make([]float32, len(b)/2)
		for i := range out {
			out[i] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(b[2*i:])) << 16)
		}
		return out, nil
	case "F64":
		out := make([]float32, len(b)/8)
		for i := range out {
			out[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:])))
		}
		return out, nil
	}
	return nil, fmt.Errorf("dtype %s is not floating point (use Int64)", dt)
}

// toInt64s decodes little-endian integer or bool bytes of dtype dt.
func toInt64s(dt string, b []byte) ([]int64, error) {
	var out []int64
	switch dt {
	case "I64":
		out = make([]int64, len(b)/8)
		for i := range out {
			out[i] = int64(binary.LittleEndian.Uint64(b[8*i:]))
		}
	case "I32":
		out = make([]int64, len(b)/4)
		for i := range out {
			out[i] = int64(int32(binary.LittleEndian.Uint32(b[4*i:])))
		}
	case "I16":
		out = make([]int64, len(b)/2)
		for i := range out {
			out[i] = int64(int16(binary.LittleEndian.Uint16(b[2*i:])))
		}
	case "I8":
		out = make([]int64, len(b))
		for i := range out {
			out[i] = int64(int8(b[i]))
		}
	case "U8", "BOOL":
		out = make([]int64, len(b))
		for i := range out {
			out[i] = int64(b[i])
		}
	default:
		return nil, fmt.Errorf("dtype %s is not an integer type (use Float32)", dt)
	}
	return out, nil
}

// f16ToF32 widens an IEEE 754 binary16 value exactly.
func f16ToF32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // inf / NaN (payload kept)
		return math.Float32frombits(sign | 0xff<<23 | frac<<13)
	case exp != 0:
		return math.Float32frombits(sign | (exp+112)<<23 | frac<<13)
	case frac == 0:
		return math.Float32frombits(sign)
	}
	// Subnormal: value = frac * 2^-24, exact in float32.
	f := float32(frac) * (1.0 / (1 << 24))
	if sign != 0 {
		f = -f
	}
	return f
}
