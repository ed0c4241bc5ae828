// Package torchfile reads PyTorch checkpoints (pytorch_model.bin) holding
// a state_dict, in both the zip format (torch >= 1.6) and the legacy
// pre-1.6 format, without running Python and without executing the pickle.
//
// The pickle is decoded by the restricted interpreter in torchfile/pickle,
// which can only name an allow-list of tensor-rebuilding functions, torch
// storage classes and collections.OrderedDict (see findClass); any other
// global (os.system, builtins.eval, ...) fails with an error naming it.
// Storage bytes are read lazily with ReadAt. Every declared size, offset
// and stride is validated against the bytes actually present in the file
// before any tensor buffer is allocated.
//
// Keys are returned exactly as stored; ModernName maps old BERT names
// (LayerNorm.gamma/beta) to current ones.
package torchfile

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"unsafe"

	"github.com/medbert/medbert/safetensors"
	"github.com/medbert/medbert/torchfile/pickle"
)

// File is an open checkpoint.
type File struct {
	path    string
	f       *os.File
	format  string
	closed  bool
	names   []string // file order
	tensors map[string]*tensor
}

// Info describes one tensor.
type Info struct {
	DType   string  // "F32", "F16", "BF16", "F64", "I64", "I32", "I16", "I8", "U8", "BOOL", ...
	Shape   []int   // dimensions; [] for a scalar
	Storage string  // storage key inside the checkpoint (shared by tied tensors)
	Offset  int64   // element offset into the storage
	Strides []int64 // element strides
}

// Open reads the checkpoint's structure (the pickle and the storage table);
// tensor data is read on demand. The format (zip or legacy) is detected
// from the first bytes.
func Open(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("torchfile: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("torchfile: %w", err)
	}
	tf, err := openReader(f, st.Size(), path)
	if err != nil {
		f.Close()
		return nil, err
	}
	tf.f = f
	return tf, nil
}

// openReader parses a checkpoint from any io.ReaderAt (tests and fuzzing
// use in-memory files).
func openReader(r io.ReaderAt, size int64, name string) (*File, error) {
	var head [8]byte
	n, _ := r.ReadAt(head[:], 0)
	var (
		tf  *File
		err error
	)
	switch {
	case n >= 4 && bytes.Equal(head[:4], []byte("PK\x03\x04")):
		tf, err = openZip(r, size, name)
	case n >= 3 && head[0] == 0x80 && head[2] == 0x8a:
		// PROTO n, LONG1: the pickled legacy magic number.
		tf, err = openLegacy(r, size, name)
	case n >= 1 && head[0] == 0x80:
		return nil, fmt.Errorf("torchfile: %s: a bare pickle, not a torch.save checkpoint (no zip header, no legacy magic number)", name)
	case n == len(head) && string(head[:]) == "version " && safetensors.IsLFSPointer(r, size):
		return nil, fmt.Errorf("torchfile: %s: %s", name, lfsPointerMsg)
	default:
		return nil, fmt.Errorf("torchfile: %s: not a PyTorch checkpoint (neither zip nor legacy torch.save format)", name)
	}
	if err != nil {
		return nil, fmt.Errorf("torchfile: %s: %w", name, err)
	}
	return tf, nil
}

// Close releases the file.
func (f *File) Close() error {
	f.closed = true
	if f.f == nil {
		return nil
	}
	err := f.f.Close()
	f.f = nil
	return err
}

// Format is "zip" or "legacy".
func (f *File) Format() string { return f.format }

// Names returns the tensor keys in file order (the state_dict order).
func (f *File) Names() []string { return slices.Clone(f.names) }

// Info describes a tensor; ok is false for an unknown name.
func (f *File) Info(name string) (Info, bool) {
	t, ok := f.tensors[name]
	if !ok {
		return Info{}, false
	}
	return Info{DType: t.st.dtype, Shape: slices.Clone(t.shape), Storage: t.st.key, Offset: t.offset, Strides: slices.Clone(t.stride)}, true
}

// Alias reports whether name is an exact alias of a tensor earlier in the
// file: same storage, offset, shape and strides (a tied weight such as
// cls.predictions.decoder.weight). It returns the earlier name.
func (f *File) Alias(name string) (string, bool) {
	t, ok := f.tensors[name]
	if !ok {
		return "", false
	}
	for _, other := range f.names {
		if other == name {
			return "", false
		}
		u := f.tensors[other]
		if u.st.rootStorage() == t.st.rootStorage() && u.st.base+u.offset == t.st.base+t.offset &&
			u.st.dtype == t.st.dtype && slices.Equal(u.shape, t.shape) && slices.Equal(u.stride, t.stride) {
			return other, true
		}
	}
	return "", false
}

func (f *File) get(name string) (*tensor, error) {
	t, ok := f.tensors[name]
	if !ok {
		return nil, fmt.Errorf("torchfile: %s: no tensor %q", f.path, name)
	}
	if f.closed {
		return nil, fmt.Errorf("torchfile: %s: file is closed", f.path)
	}
	return t, nil
}

// Raw returns the tensor as contiguous little-endian (C order) bytes in its
// stored dtype, materialising strided views. The slice is a fresh copy.
func (f *File) Raw(name string) (dtype string, shape []int, data []byte, err error) {
	t, err := f.get(name)
	if err != nil {
		return "", nil, nil, err
	}
	data, err = t.contiguous()
	if err != nil {
		return "", nil, nil, fmt.Errorf("torchfile: %s: tensor %q: %w", f.path, name, err)
	}
	return t.st.dtype, slices.Clone(t.shape), data, nil
}

// Float32 returns the tensor as float32 (F16, BF16 and F64 are converted;
// F16/BF16 widening is exact) and its shape. Integer tensors are an error:
// use Int64.
func (f *File) Float32(name string) ([]float32, []int, error) {
	if t, ok := f.tensors[name]; ok && t.st.dtype == "F32" && littleEndian && !f.closed {
		// Read straight into the result: one allocation, no conversion.
		out := make([]float32, t.numel())
		var b []byte
		if len(out) > 0 {
			b = unsafe.Slice((*byte)(unsafe.Pointer(&out[0])), 4*len(out))
		}
		if err := t.contiguousInto(b); err != nil {
			return nil, nil, fmt.Errorf("torchfile: %s: tensor %q: %w", f.path, name, err)
		}
		return out, slices.Clone(t.shape), nil
	}
	dt, shape, raw, err := f.Raw(name)
	if err != nil {
		return nil, nil, err
	}
	out, err := toFloat32(dt, raw)
	if err != nil {
		return nil, nil, fmt.Errorf("torchfile: %s: tensor %q: %w", f.path, name, err)
	}
	return out, shape, nil
}

// Int64 returns an integer (or BOOL) tensor widened to int64.
func (f *File) Int64(name string) ([]int64, []int, error) {
	dt, shape, raw, err := f.Raw(name)
	if err != nil {
		return nil, nil, err
	}
	out, err := toInt64s(dt, raw)
	if err != nil {
		return nil, nil, fmt.Errorf("torchfile: %s: tensor %q: %w", f.path, name, err)
	}
	return out, shape, nil
}

func (s *storage) rootStorage() *storage {
	if s.root != nil {
		return s.root
	}
	return s
}

// collect turns the unpickled top-level object into the tensor table. A
// state_dict is a (Ordered)dict of str -> tensor; non-tensor entries are
// refused so a checkpoint holding something else is not half-loaded.
func (f *File) collect(obj any) error {
	d, ok := obj.(*pickle.Dict)
	if !ok {
		return fmt.Errorf("top-level object is %s, not a state_dict", pickle.TypeName(obj))
	}
	f.tensors = make(map[string]*tensor, d.Len())
	for i, k := range d.Keys {
		name, ok := k.(string)
		if !ok {
			return fmt.Errorf("state_dict key %d is %s, not a string", i, pickle.TypeName(k))
		}
		t, ok := d.Values[i].(*tensor)
		if !ok {
			return fmt.Errorf("state_dict entry %q is %s, not a tensor (a training checkpoint rather than a state_dict?)", name, pickle.TypeName(d.Values[i]))
		}
		f.names = append(f.names, name)
		f.tensors[name] = t
	}
	return nil
}

// littleEndian is true when float32 memory order matches the file's.
var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

var errOverflow = errors.New("size overflows int64")

func mul(a, b int64) (int64, error) {
	if a == 0 || b == 0 {
		return 0, nil
	}
	if a > math.MaxInt64/b {
		return 0, errOverflow
	}
	return a * b, nil
}

// validate checks every tensor view against its storage and every storage
// against the bytes present in the file. It runs before any data is read,
// so no allocation is ever sized from an unchecked number.
func (f *File) validate() error {
	for _, name := range f.names {
		t := f.tensors[name]
		if err := t.validate(); err != nil {
			return fmt.Errorf("tensor %q: %w", name, err)
		}
	}
	return f.boundCompressed()
}

// compressedSlack is how much a deflated storage may exceed twice what
// its views need: room for padding and unused tails, far below any bomb.
const compressedSlack = 64 << 10

// boundCompressed refuses a deflated storage that expands to more than
// the tensors viewing it can need (twice their element bytes plus
// compressedSlack). A few MB of deflated zeros can claim gigabytes, and a
// strided view would make a reader inflate all of them; torch writes
// storages uncompressed and exactly as large as their tensors, so an honest
// re-zipped checkpoint is far inside the bound. It runs before any byte is
// decompressed.
func (f *File) boundCompressed() error {
	need := map[*storage]int64{}
	first := map[*storage]string{}
	for _, name := range f.names {
		t := f.tensors[name]
		root := t.st.rootStorage()
		if !root.compressed {
			continue
		}
		if _, ok := first[root]; !ok {
			first[root] = name
		}
		// numel*esize fits the storage (t.validate); the sum saturates.
		need[root] = min(need[root]+t.numel()*t.st.esize, math.MaxInt64/4)
	}
	for _, name := range f.names {
		root := f.tensors[name].st.rootStorage()
		n, ok := need[root]
		if !ok || first[root] != name {
			continue
		}
		if root.nbytes > 2*n+compressedSlack {
			t := f.tensors[name]
			return fmt.Errorf("tensor %q (shape %v, %s) and the tensors sharing its storage need %d bytes, but compressed storage %q expands to %d bytes: refusing to decompress it (a zip bomb?)",
				name, t.shape, t.st.dtype, n, root.key, root.nbytes)
		}
	}
	return nil
}

func (t *tensor) validate() error {
	st := t.st
	root := st.rootStorage()
	if root.read == nil {
		return fmt.Errorf("storage %q has no data in the file", root.key)
	}
	// The storage's declared element count must fit the bytes present.
	need, err := mul(st.base+st.numel, st.esize)
	if err != nil || st.base < 0 || need > root.nbytes {
		return fmt.Errorf("storage %q declares %d elements of %d bytes but the file holds %d bytes for it", st.key, st.numel, st.esize, root.nbytes)
	}
	numel := int64(1)
	last := t.offset // highest element index touched
	for i, d := range t.shape {
		if numel, err = mul(numel, int64(d)); err != nil {
			return fmt.Errorf("shape %v: %w", t.shape, err)
		}
		if t.stride[i] < 0 {
			return fmt.Errorf("negative stride %d", t.stride[i])
		}
		if d > 0 {
			span, err := mul(int64(d-1), t.stride[i])
			if err != nil || last > math.MaxInt64-span {
				return fmt.Errorf("strides %v overflow", t.stride)
			}
			last += span
		}
	}
	if numel == 0 {
		return nil
	}
	if last >= st.numel {
		return fmt.Errorf("view (offset %d, shape %v, strides %v) reaches element %d but storage %q has %d elements", t.offset, t.shape, t.stride, last, st.key, st.numel)
	}
	if numel > st.numel {
		// Only overlapping (zero-stride, expanded) views can be larger
		// than their storage; materialising them would let a tiny file
		// demand a huge allocation, and state_dicts never contain them.
		return fmt.Errorf("view has %d elements, more than its storage %q (%d): broadcast views are not supported", numel, st.key, st.numel)
	}
	return nil
}

// contiguous reads the tensor's elements in C order.
func (t *tensor) contiguous() ([]byte, error) {
	out := make([]byte, t.numel()*t.st.esize)
	if err := t.contiguousInto(out); err != nil {
		return nil, err
	}
	return out, nil
}

// contiguousInto reads the tensor's elements in C order into out, which
// must hold exactly numel*esize bytes.
func (t *tensor) contiguousInto(out []byte) error {
	numel := t.numel()
	es := t.st.esize
	if int64(len(out)) != numel*es {
		return fmt.Errorf("internal: buffer of %d bytes for %d elements", len(out), numel)
	}
	if numel == 0 {
		return nil
	}
	root := t.st.rootStorage()
	start := t.st.base + t.offset
	if t.isContiguous() {
		return root.read(out, start*es)
	}
	// Read the span the view covers once, then gather.
	last := int64(0)
	for i, d := range t.shape {
		last += int64(d-1) * t.stride[i]
	}
	span := make([]byte, (last+1)*es)
	if err := root.read(span, start*es); err != nil {
		return err
	}
	idx := make([]int, len(t.shape))
	src := int64(0)
	for o := int64(0); o < numel; o++ {
		copy(out[o*es:(o+1)*es], span[src*es:(src+1)*es])
		// Advance the multi-index in C order.
		for d := len(idx) - 1; d >= 0; d-- {
			idx[d]++
			src += t.stride[d]
			if idx[d] < t.shape[d] {
				break
			}
			src -= int64(idx[d]) * t.stride[d]
			idx[d] = 0
		}
	}
	return nil
}

func (t *tensor) isContiguous() bool {
	want := int64(1)
	for i := len(t.shape) - 1; i >= 0; i-- {
		if t.shape[i] != 1 && t.stride[i] != want {
			return false
		}
		want *= int64(t.shape[i])
	}
	return true
}

// A folder cloned from the Hugging Face Hub without git-lfs holds small
// text pointers in place of the weights; say so rather than "corrupt".
const lfsPointerMsg = "a Git LFS pointer file, not the weights: the folder was cloned without git-lfs; fetch the real file (git lfs pull, or download it again)"
