package safetensors

// DType is a safetensors element type, spelled as in the JSON header.
type DType string

// The dtypes of the reference Rust crate (safetensors 0.4/0.5). F4/F6 (sub-byte)
// and complex types of later versions are not accepted.
const (
	DTypeBOOL   DType = "BOOL"
	DTypeU8     DType = "U8"
	DTypeI8     DType = "I8"
	DTypeF8E5M2 DType = "F8_E5M2"
	DTypeF8E4M3 DType = "F8_E4M3"
	DTypeI16    DType = "I16"
	DTypeU16    DType = "U16"
	DTypeF16    DType = "F16"
	DTypeBF16   DType = "BF16"
	DTypeI32    DType = "I32"
	DTypeU32    DType = "U32"
	DTypeF32    DType = "F32"
	DTypeF64    DType = "F64"
	DTypeI64    DType = "I64"
	DTypeU64    DType = "U64"
)

// dtypeInfo: element size in bytes and the rank in the Rust crate's Dtype
// enum, which the writer sorts by (descending) so our files match the
// crate's byte for byte.
var dtypeInfo = map[DType]struct{ size, rank int }{
	DTypeBOOL: {1, 0}, DTypeU8: {1, 1}, DTypeI8: {1, 2}, DTypeF8E5M2: {1, 3}, DTypeF8E4M3: {1, 4},
	DTypeI16: {2, 5}, DTypeU16: {2, 6}, DTypeF16: {2, 7}, DTypeBF16: {2, 8},
	DTypeI32: {4, 9}, DTypeU32: {4, 10}, DTypeF32: {4, 11}, DTypeF64: {8, 12}, DTypeI64: {8, 13}, DTypeU64: {8, 14},
}

// Size returns the size of one element in bytes, or 0 for an unknown dtype.
func (d DType) Size() int { return dtypeInfo[d].size }

// Known reports whether d is a dtype this package accepts.
func (d DType) Known() bool { _, ok := dtypeInfo[d]; return ok }

func (d DType) rank() int { return dtypeInfo[d].rank }
