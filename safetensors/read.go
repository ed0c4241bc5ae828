package safetensors

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"sort"
	"sync"
	"unsafe"
)

// File is an opened safetensors file. Its methods are safe for concurrent
// use until Close.
type File struct {
	name   string
	buf    []byte // the whole file (mmapped or read)
	data   []byte // the data section, buf[8+N:]
	unmap  func() error
	hdr    *header
	closed bool
}

// Open opens and validates path. On Unix the file is mmapped read-only;
// elsewhere, or if mmap fails, it is read into memory.
func Open(path string) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, formatErr(path, "", "not a regular file")
	}
	size := st.Size()
	// Check the length prefix before mapping, so a tiny or truncated file
	// gets a precise error rather than an mmap one.
	var prefix [8]byte
	if size >= 8 {
		if _, err := io.ReadFull(fh, prefix[:]); err != nil {
			return nil, fmt.Errorf("safetensors: %s: reading header length: %w", path, err)
		}
	}
	if _, err := headerLen(prefix[:], size, path); err != nil {
		if IsLFSPointer(fh, size) {
			return nil, formatErr(path, "", "a Git LFS pointer file, not the tensors: the folder was cloned without git-lfs; fetch the real file (git lfs pull, or download it again)")
		}
		return nil, err
	}
	if size > math.MaxInt {
		return nil, formatErr(path, "", "file of %d bytes is too large for this platform", size)
	}
	buf, unmap, err := mmapFile(fh, size)
	if err != nil { // portable fallback
		buf = make([]byte, size)
		if _, err := fh.ReadAt(buf, 0); err != nil {
			return nil, fmt.Errorf("safetensors: %s: %w", path, err)
		}
		unmap = nil
	}
	f, err := Parse(buf, path)
	if err != nil {
		if unmap != nil {
			_ = unmap()
		}
		return nil, err
	}
	f.unmap = unmap
	return f, nil
}

// IsLFSPointer reports whether r, of size bytes, is a Git LFS pointer file
// (small text starting "version https://git-lfs.github.com/spec/"), what a
// Hugging Face repository cloned without git-lfs holds in place of the
// weights. torchfile uses it too, so both formats recognise pointers alike.
func IsLFSPointer(r io.ReaderAt, size int64) bool {
	const sig = "version https://git-lfs.github.com/spec/"
	if size > 1024 {
		return false
	}
	b := make([]byte, len(sig))
	n, _ := r.ReadAt(b, 0)
	return n == len(sig) && string(b) == sig
}

// Parse validates an in-memory safetensors file. The File keeps views into
// buf, which must not be modified afterwards. name is used in errors.
func Parse(buf []byte, name string) (*File, error) {
	n, err := headerLen(buf, int64(len(buf)), name)
	if err != nil {
		return nil, err
	}
	data := buf[8+n:]
	hdr, err := parseHeader(buf[8:8+n], int64(len(data)), name)
	if err != nil {
		return nil, err
	}
	return &File{name: name, buf: buf, data: data, hdr: hdr}, nil
}

// Close releases the mapping. Slices returned by Bytes must not be used
// afterwards. Close is idempotent.
func (f *File) Close() error {
	if f.closed {
		return nil
	}
	f.closed = true
	f.buf, f.data = nil, nil
	if f.unmap != nil {
		err := f.unmap()
		f.unmap = nil
		if err != nil {
			return fmt.Errorf("safetensors: %s: unmap: %w", f.name, err)
		}
	}
	return nil
}

// Name returns the name the file was opened with.
func (f *File) Name() string { return f.name }

// Names returns the tensor names, sorted.
func (f *File) Names() []string {
	names := slices.Clone(f.hdr.order)
	sort.Strings(names)
	return names
}

// HeaderOrder returns the tensor names in the order the header lists them.
func (f *File) HeaderOrder() []string { return slices.Clone(f.hdr.order) }

// Info returns the dtype, shape and offsets of a tensor.
func (f *File) Info(name string) (Info, bool) {
	info, ok := f.hdr.infos[name]
	info.Shape = slices.Clone(info.Shape)
	return info, ok
}

// Metadata returns a copy of the "__metadata__" map (empty if absent).
func (f *File) Metadata() map[string]string {
	m := make(map[string]string, len(f.hdr.metadata))
	for k, v := range f.hdr.metadata {
		m[k] = v
	}
	return m
}

// MetadataKeys returns the metadata keys in header order.
func (f *File) MetadataKeys() []string { return slices.Clone(f.hdr.metaKeys) }

// HeaderSize returns N, the JSON header length including padding.
func (f *File) HeaderSize() int64 { return f.hdr.size }

// Bytes returns the raw little-endian bytes of a tensor: a read-only view
// into the file, valid until Close.
func (f *File) Bytes(name string) ([]byte, error) {
	info, err := f.lookup(name)
	if err != nil {
		return nil, err
	}
	return f.data[info.Begin:info.End:info.End], nil
}

func (f *File) lookup(name string) (Info, error) {
	if f.closed {
		return Info{}, fmt.Errorf("safetensors: %s: file is closed", f.name)
	}
	info, ok := f.hdr.infos[name]
	if !ok {
		return Info{}, fmt.Errorf("safetensors: %s: %w: %q", f.name, ErrNotFound, name)
	}
	return info, nil
}

// ErrNotFound is wrapped by errors for a tensor name the file lacks.
var ErrNotFound = errors.New("no such tensor")

// Float32 returns a tensor as a new []float32 and its shape. F32 is copied;
// F16, BF16, F8_E5M2 and F8_E4M3 are widened exactly; F64 is rounded to
// nearest. Integer dtypes are an error (use Int64).
func (f *File) Float32(name string) ([]float32, []int, error) {
	info, err := f.lookup(name)
	if err != nil {
		return nil, nil, err
	}
	src := f.data[info.Begin:info.End]
	dst := make([]float32, info.NumElements())
	if err := DecodeFloat32(dst, src, info.DType); err != nil {
		return nil, nil, fmt.Errorf("safetensors: %s: %s: %w", f.name, name, err)
	}
	return dst, slices.Clone(info.Shape), nil
}

// Int64 returns an integer tensor (I64, I32, I16, I8, U8, U16, U32, BOOL,
// or U64 values that fit) as a new []int64 and its shape.
func (f *File) Int64(name string) ([]int64, []int, error) {
	info, err := f.lookup(name)
	if err != nil {
		return nil, nil, err
	}
	src := f.data[info.Begin:info.End]
	dst := make([]int64, info.NumElements())
	if err := decodeInt64(dst, src, info.DType); err != nil {
		return nil, nil, fmt.Errorf("safetensors: %s: %s: %w", f.name, name, err)
	}
	return dst, slices.Clone(info.Shape), nil
}

// littleEndian is true on hosts whose memory order matches the file's.
var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// f16Table maps every binary16 bit pattern to its float32 value; a lookup
// is about twice as fast as the bit manipulation for bulk widening.
var f16Table = sync.OnceValue(func() *[1 << 16]float32 {
	var t [1 << 16]float32
	for i := range t {
		t[i] = F16ToFloat32(uint16(i))
	}
	return &t
})

// DecodeFloat32 converts little-endian elements of dtype dt in src into dst
// (len(dst) elements; src must hold exactly that many).
func DecodeFloat32(dst []float32, src []byte, dt DType) error {
	if !dt.Known() {
		return fmt.Errorf("unknown dtype %q", dt)
	}
	if len(src) != len(dst)*dt.Size() {
		return fmt.Errorf("%d bytes of %s for %d elements", len(src), dt, len(dst))
	}
	le := binary.LittleEndian
	switch dt {
	case DTypeF32:
		if littleEndian && len(dst) > 0 {
			copy(unsafe.Slice((*byte)(unsafe.Pointer(&dst[0])), len(src)), src)
			return nil
		}
		for i := range dst {
			dst[i] = math.Float32frombits(le.Uint32(src[4*i:]))
		}
	case DTypeF16:
		tab := f16Table()
		for i := range dst {
			dst[i] = tab[le.Uint16(src[2*i:])]
		}
	case DTypeBF16:
		for i := range dst {
			dst[i] = math.Float32frombits(uint32(le.Uint16(src[2*i:])) << 16)
		}
	case DTypeF64:
		for i := range dst {
			dst[i] = float32(math.Float64frombits(le.Uint64(src[8*i:])))
		}
	case DTypeF8E5M2:
		for i := range dst {
			dst[i] = F8E5M2ToFloat32(src[i])
		}
	case DTypeF8E4M3:
		for i := range dst {
			dst[i] = F8E4M3ToFloat32(src[i])
		}
	default:
		return fmt.Errorf("dtype %s is not a float type (use Int64)", dt)
	}
	return nil
}

// DecodeInt64 converts little-endian integer (or BOOL) elements of dtype
// dt in src into dst (len(dst) elements; src must hold exactly that many).
// U64 values above math.MaxInt64 are an error.
func DecodeInt64(dst []int64, src []byte, dt DType) error {
	if !dt.Known() {
		return fmt.Errorf("unknown dtype %q", dt)
	}
	if len(src) != len(dst)*dt.Size() {
		return fmt.Errorf("%d bytes of %s for %d elements", len(src), dt, len(dst))
	}
	return decodeInt64(dst, src, dt)
}

func decodeInt64(dst []int64, src []byte, dt DType) error {
	le := binary.LittleEndian
	switch dt {
	case DTypeI64:
		for i := range dst {
			dst[i] = int64(le.Uint64(src[8*i:]))
		}
	case DTypeU64:
		for i := range dst {
			v := le.Uint64(src[8*i:])
			if v > math.MaxInt64 {
				return fmt.Errorf("U64 element %d = %d overflows int64", i, v)
			}
			dst[i] = int64(v)
		}
	case DTypeI32:
		for i := range dst {
			dst[i] = int64(int32(le.Uint32(src[4*i:])))
		}
	case DTypeU32:
		for i := range dst {
			dst[i] = int64(le.Uint32(src[4*i:]))
		}
	case DTypeI16:
		for i := range dst {
			dst[i] = int64(int16(le.Uint16(src[2*i:])))
		}
	case DTypeU16:
		for i := range dst {
			dst[i] = int64(le.Uint16(src[2*i:]))
		}
	case DTypeI8:
		for i := range dst {
			dst[i] = int64(int8(src[i]))
		}
	case DTypeU8, DTypeBOOL:
		for i := range dst {
			dst[i] = int64(src[i])
		}
	default:
		return fmt.Errorf("dtype %s is not an integer type (use Float32)", dt)
	}
	return nil
}
