package safetensors

import "math"

// F16ToFloat32 widens an IEEE 754 binary16 value exactly (subnormals, ±0,
// ±Inf, NaN with its payload).
func F16ToFloat32(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h & 0x3ff)
	switch {
	case exp == 0x1f: // Inf / NaN
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	case exp != 0: // normal: rebias 15 -> 127
		return math.Float32frombits(sign | (exp+112)<<23 | mant<<13)
	case mant == 0:
		return math.Float32frombits(sign)
	}
	// Subnormal: mant * 2^-24, exact in float32 (10 bits times a power of 2).
	return math.Float32frombits(sign | math.Float32bits(float32(mant)*(1.0/(1<<24))))
}

// Float32ToF16 rounds f to the nearest binary16 value, ties to even, as
// torch's Tensor.half() does: overflow gives ±Inf, underflow ±0 or a
// subnormal, NaN gives the quiet NaN 0x7E00 with f's sign.
func Float32ToF16(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int(b>>23) & 0xff
	mant := b & 0x7fffff
	if exp == 0xff {
		if mant != 0 {
			return sign | 0x7e00
		}
		return sign | 0x7c00
	}
	e := exp - 127 + 15 // binary16 biased exponent
	if e >= 0x1f {
		return sign | 0x7c00
	}
	if e >= 1 { // normal: keep 10 of 23 mantissa bits; a carry may bump the exponent (to Inf at the top)
		q := uint32(e)<<10 | mant>>13
		return sign | uint16(roundEven(q, mant&0x1fff, 13))
	}
	if exp == 0 { // float32 zero or subnormal (< 2^-126): far below half's 2^-25
		return sign
	}
	// Half subnormal: value in units of 2^-24 is m * 2^(exp-126).
	m := mant | 0x800000
	shift := uint(126 - exp) // >= 14
	if shift >= 25 {         // value < 2^24 * 2^-25 units = half a unit: rounds to 0
		return sign
	}
	return sign | uint16(roundEven(m>>shift, m&(1<<shift-1), shift))
}

// roundEven rounds q (the kept bits) given the dropped bits rem of width
// `bits`: up if rem is more than half, or exactly half and q is odd.
func roundEven(q, rem uint32, bits uint) uint32 {
	half := uint32(1) << (bits - 1)
	if rem > half || (rem == half && q&1 == 1) {
		q++
	}
	return q
}

// BF16ToFloat32 widens a bfloat16 value exactly.
func BF16ToFloat32(h uint16) float32 { return math.Float32frombits(uint32(h) << 16) }

// Float32ToBF16 rounds f to the nearest bfloat16, ties to even, exactly as
// torch's c10::BFloat16 (round_to_nearest_even): NaN becomes 0x7FC0.
func Float32ToBF16(f float32) uint16 {
	if f != f {
		return 0x7fc0
	}
	b := math.Float32bits(f)
	return uint16((b + 0x7fff + (b>>16)&1) >> 16)
}

// F8E5M2ToFloat32 widens an OCP FP8 E5M2 value (the top byte of a binary16).
func F8E5M2ToFloat32(x uint8) float32 { return F16ToFloat32(uint16(x) << 8) }

// F8E4M3ToFloat32 widens an FP8 E4M3FN value (bias 7, no Inf, 0x7F/0xFF NaN).
func F8E4M3ToFloat32(x uint8) float32 {
	sign := uint32(x&0x80) << 24
	exp := uint32(x>>3) & 0xf
	mant := uint32(x & 7)
	switch {
	case exp == 0xf && mant == 7:
		return math.Float32frombits(sign | 0x7fc00000)
	case exp != 0:
		return math.Float32frombits(sign | (exp+120)<<23 | mant<<20)
	}
	// Subnormal (or zero): mant * 2^-9.
	return math.Float32frombits(sign | math.Float32bits(float32(mant)*(1.0/512)))
}
