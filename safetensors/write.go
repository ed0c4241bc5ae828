package safetensors

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"unsafe"

	"github.com/medbert/medbert/internal/atomicfile"
)

// Tensor is one tensor to write: raw little-endian C-order bytes.
type Tensor struct {
	Name  string
	DType DType
	Shape []int
	Data  []byte
}

// F32 builds an F32 tensor (copying data).
func F32(name string, shape []int, data []float32) Tensor {
	b := make([]byte, 4*len(data))
	if littleEndian && len(data) > 0 {
		copy(b, unsafe.Slice((*byte)(unsafe.Pointer(&data[0])), len(b)))
	} else {
		for i, v := range data {
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
		}
	}
	return Tensor{Name: name, DType: DTypeF32, Shape: slices.Clone(shape), Data: b}
}

// F32View is F32 without the copy on little-endian hosts: Data aliases
// data's memory, which must not change until the tensor is written. It
// saves a transient copy of every weight when saving large models.
func F32View(name string, shape []int, data []float32) Tensor {
	if !littleEndian || len(data) == 0 {
		return F32(name, shape, data)
	}
	b := unsafe.Slice((*byte)(unsafe.Pointer(&data[0])), 4*len(data))
	return Tensor{Name: name, DType: DTypeF32, Shape: slices.Clone(shape), Data: b}
}

// I64 builds an I64 tensor (copying data).
func I64(name string, shape []int, data []int64) Tensor {
	b := make([]byte, 8*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint64(b[8*i:], uint64(v))
	}
	return Tensor{Name: name, DType: DTypeI64, Shape: slices.Clone(shape), Data: b}
}

// F16FromF32 builds an F16 tensor, rounding each value to nearest even
// (Float32ToF16), as torch's Tensor.half().
func F16FromF32(name string, shape []int, data []float32) Tensor {
	b := make([]byte, 2*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint16(b[2*i:], Float32ToF16(v))
	}
	return Tensor{Name: name, DType: DTypeF16, Shape: slices.Clone(shape), Data: b}
}

// BF16FromF32 builds a BF16 tensor, rounding each value to nearest even
// (Float32ToBF16), as torch's Tensor.bfloat16().
func BF16FromF32(name string, shape []int, data []float32) Tensor {
	b := make([]byte, 2*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint16(b[2*i:], Float32ToBF16(v))
	}
	return Tensor{Name: name, DType: DTypeBF16, Shape: slices.Clone(shape), Data: b}
}

// Write writes tensors and metadata to path atomically (WriteAtomic):
// readers see the old file or the complete new one.
func Write(path string, tensors []Tensor, metadata map[string]string) error {
	hdr, order, err := encodeHeader(tensors, metadata)
	if err != nil {
		return fmt.Errorf("safetensors: %s: %w", path, err)
	}
	err = WriteAtomic(path, func(f io.Writer) error {
		w := bufio.NewWriterSize(f, 1<<20)
		if err := writeBody(w, hdr, order); err != nil {
			return err
		}
		return w.Flush()
	})
	if err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	return nil
}

// WriteAtomic writes path with fill through a temporary file in the same
// directory, fsynced and renamed over path; the directory is then fsynced.
// A crash leaves the old file or the complete new one, never a torn one.
// The file is created with mode 0644 and the process umask applies (umask
// 077 gives 0600); the mode is never forced. Errors name path, never the
// temporary file, and carry no package prefix: bert, torchfile, optim,
// train and tokenize write their files with it too, so the sequence lives
// in one place (internal/atomicfile).
func WriteAtomic(path string, fill func(io.Writer) error) error {
	return atomicfile.Write(path, fill)
}

// Encode writes the file to w (not atomic; see Write).
func Encode(w io.Writer, tensors []Tensor, metadata map[string]string) error {
	hdr, order, err := encodeHeader(tensors, metadata)
	if err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	return writeBody(w, hdr, order)
}

func writeBody(w io.Writer, hdr []byte, order []*Tensor) error {
	var prefix [8]byte
	binary.LittleEndian.PutUint64(prefix[:], uint64(len(hdr)))
	if _, err := w.Write(prefix[:]); err != nil {
		return err
	}
	if _, err := w.Write(hdr); err != nil {
		return err
	}
	for _, t := range order {
		if _, err := w.Write(t.Data); err != nil {
			return err
		}
	}
	return nil
}

// encodeHeader validates the tensors and builds the padded header as the
// Rust crate does; order is the data order.
func encodeHeader(tensors []Tensor, metadata map[string]string) ([]byte, []*Tensor, error) {
	order := make([]*Tensor, len(tensors))
	seen := make(map[string]bool, len(tensors))
	for i := range tensors {
		t := &tensors[i]
		if t.Name == metadataKey {
			return nil, nil, fmt.Errorf("tensor name %q is reserved", t.Name)
		}
		if seen[t.Name] {
			return nil, nil, fmt.Errorf("duplicate tensor name %q", t.Name)
		}
		seen[t.Name] = true
		if !t.DType.Known() {
			return nil, nil, fmt.Errorf("tensor %q: unknown dtype %q", t.Name, t.DType)
		}
		n := 1
		for _, d := range t.Shape {
			if d < 0 || (d != 0 && n > math.MaxInt/d) {
				return nil, nil, fmt.Errorf("tensor %q: invalid shape %v", t.Name, t.Shape)
			}
			n *= d
		}
		if n > math.MaxInt/t.DType.Size() || n*t.DType.Size() != len(t.Data) {
			return nil, nil, fmt.Errorf("tensor %q: shape %v of %s needs %d bytes, data has %d", t.Name, t.Shape, t.DType, n*t.DType.Size(), len(t.Data))
		}
		order[i] = t
	}
	// The crate's order: dtype descending (enum rank), then name.
	slices.SortFunc(order, func(a, b *Tensor) int {
		if ra, rb := a.DType.rank(), b.DType.rank(); ra != rb {
			return rb - ra
		}
		switch {
		case a.Name < b.Name:
			return -1
		case a.Name > b.Name:
			return 1
		}
		return 0
	})
	b := make([]byte, 0, 128+96*len(tensors))
	b = append(b, '{')
	if len(metadata) > 0 {
		keys := make([]string, 0, len(metadata))
		for k := range metadata {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = appendJSONString(b, metadataKey)
		b = append(b, ":{"...)
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, k)
			b = append(b, ':')
			b = appendJSONString(b, metadata[k])
		}
		b = append(b, '}')
	}
	off := 0
	for i, t := range order {
		if i > 0 || len(metadata) > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, t.Name)
		b = append(b, `:{"dtype":`...)
		b = appendJSONString(b, string(t.DType))
		b = append(b, `,"shape":[`...)
		for j, d := range t.Shape {
			if j > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, int64(d), 10)
		}
		b = append(b, `],"data_offsets":[`...)
		b = strconv.AppendInt(b, int64(off), 10)
		off += len(t.Data)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(off), 10)
		b = append(b, "]}"...)
	}
	b = append(b, '}')
	for len(b)%8 != 0 {
		b = append(b, ' ')
	}
	if len(b) > MaxHeaderSize {
		return nil, nil, fmt.Errorf("header of %d bytes exceeds the %d-byte limit", len(b), MaxHeaderSize)
	}
	return b, order, nil
}

// appendJSONString quotes s as serde_json does: only '"', '\\' and control
// characters are escaped (\b \f \n \r \t, else \u00xx); non-ASCII and
// <, >, & are written as is (unlike encoding/json).
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\b':
			b = append(b, '\\', 'b')
		case c == '\f':
			b = append(b, '\\', 'f')
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c == '\t':
			b = append(b, '\\', 't')
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}
