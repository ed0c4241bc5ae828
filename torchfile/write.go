package torchfile

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"strconv"

	"github.com/medbert/medbert/safetensors"
)

// Tensor is one tensor for WriteZip / WriteLegacy: contiguous C-order
// little-endian Data of DType ("F32", "F16", "BF16", "F64", "I64", ...).
// TiedTo names an earlier tensor whose storage this one shares (same
// dtype and element count), as torch.save writes tied weights such as
// cls.predictions.decoder.weight; Data is then ignored.
type Tensor struct {
	Name   string
	DType  string
	Shape  []int
	Data   []byte
	TiedTo string
}

// The writers exist so tests and fixtures can produce checkpoints laid out
// like published ones (BioBERT's zip file, Bio_ClinicalBERT's legacy file)
// without Python. They emit the same pickle instruction pattern as
// torch.save's protocol-2 pickler; files written here are read back by
// Open in this package's tests. (No torch was available to cross-check
// that torch.load accepts them.)

// WriteZip writes tensors in torch's zip format (torch >= 1.6) to path
// atomically, under the archive folder "archive/".
func WriteZip(path string, tensors []Tensor) error {
	plan, err := planWrite(tensors)
	if err != nil {
		return fmt.Errorf("torchfile: %s: %w", path, err)
	}
	return writeAtomic(path, func(w io.Writer) error {
		zw := zip.NewWriter(w)
		off := 0 // bytes written so far; raw entries have no data descriptor
		add := func(name string, data []byte) error {
			// Pad the local header's extra field so record data starts on
			// a 64-byte boundary, as torch does (enables mmap loading).
			const align = 64
			name = "archive/" + name
			hdr := 30 + len(name) + 4
			pad := (align - (off+hdr)%align) % align
			extra := make([]byte, 4+pad)
			copy(extra, "FB")
			binary.LittleEndian.PutUint16(extra[2:], uint16(pad))
			fw, err := zw.CreateRaw(&zip.FileHeader{
				Name: name, Method: zip.Store, Extra: extra, CRC32: crc32.ChecksumIEEE(data),
				CompressedSize64: uint64(len(data)), UncompressedSize64: uint64(len(data)),
			})
			if err != nil {
				return err
			}
			off += hdr + pad + len(data)
			_, err = fw.Write(data)
			return err
		}
		if err := add("data.pkl", plan.pickle(false)); err != nil {
			return err
		}
		if err := add("byteorder", []byte("little")); err != nil {
			return err
		}
		for i, st := range plan.storages {
			if err := add("data/"+strconv.Itoa(i), st.data); err != nil {
				return err
			}
		}
		if err := add("version", []byte("3\n")); err != nil {
			return err
		}
		return zw.Close()
	})
}

// WriteLegacy writes tensors in the pre-1.6 torch.save layout (see
// legacy.go) to path atomically.
func WriteLegacy(path string, tensors []Tensor) error {
	plan, err := planWrite(tensors)
	if err != nil {
		return fmt.Errorf("torchfile: %s: %w", path, err)
	}
	return writeAtomic(path, func(w io.Writer) error {
		var b bytes.Buffer
		b.Write([]byte{0x80, 2, 0x8a, 10, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, '.'})
		b.Write([]byte{0x80, 2, 'M', 0xe9, 0x03, '.'})
		var p pickler
		p.proto().op('}').mark().str("protocol_version").int(legacyProtocol).str("little_endian").op(0x88)
		p.str("type_sizes").op('}').mark().str("short").int(2).str("int").int(4).str("long").int(4).op('u', 'u', '.')
		b.Write(p.Bytes())
		b.Write(plan.pickle(true))
		var k pickler
		k.proto().op(']').mark()
		for i := range plan.storages {
			k.str(strconv.Itoa(i))
		}
		b.Write(k.op('e', '.').Bytes())
		if _, err := w.Write(b.Bytes()); err != nil {
			return err
		}
		for _, st := range plan.storages {
			var n [8]byte
			binary.LittleEndian.PutUint64(n[:], uint64(st.numel))
			if _, err := w.Write(n[:]); err != nil {
				return err
			}
			if _, err := w.Write(st.data); err != nil {
				return err
			}
		}
		return nil
	})
}

type writeStorage struct {
	class string
	numel int64
	data  []byte
}

type writePlan struct {
	tensors  []Tensor
	storage  []int // tensor index -> storage index
	storages []writeStorage
}

var storageClassOf = map[string]string{}

func init() {
	for class, st := range storageTypes {
		storageClassOf[st.dtype] = class
	}
}

func planWrite(tensors []Tensor) (*writePlan, error) {
	p := &writePlan{tensors: tensors}
	index := map[string]int{}
	for i, t := range tensors {
		if _, dup := index[t.Name]; dup {
			return nil, fmt.Errorf("tensor %q given twice", t.Name)
		}
		index[t.Name] = i
		class, ok := storageClassOf[t.DType]
		if !ok {
			return nil, fmt.Errorf("tensor %q: unsupported dtype %q", t.Name, t.DType)
		}
		numel := int64(1)
		for _, d := range t.Shape {
			if d < 0 {
				return nil, fmt.Errorf("tensor %q: negative dimension", t.Name)
			}
			numel *= int64(d)
		}
		if t.TiedTo != "" {
			j, ok := index[t.TiedTo]
			if !ok {
				return nil, fmt.Errorf("tensor %q: tied to %q, which does not come before it", t.Name, t.TiedTo)
			}
			st := p.storages[p.storage[j]]
			if st.class != class || st.numel != numel {
				return nil, fmt.Errorf("tensor %q: tied to %q of a different dtype or size", t.Name, t.TiedTo)
			}
			p.storage = append(p.storage, p.storage[j])
			continue
		}
		if es := storageTypes[class].size; int64(len(t.Data)) != numel*es {
			return nil, fmt.Errorf("tensor %q: %d bytes of data for shape %v of %s", t.Name, len(t.Data), t.Shape, t.DType)
		}
		p.storage = append(p.storage, len(p.storages))
		p.storages = append(p.storages, writeStorage{class: class, numel: numel, data: t.Data})
	}
	return p, nil
}

// pickle emits the state_dict as torch.save does: an OrderedDict of
// _rebuild_tensor_v2(storage, 0, size, stride, False, OrderedDict())
// with storages as persistent ids (5-tuples, or 6-tuples for legacy).
func (p *writePlan) pickle(legacy bool) []byte {
	var k pickler
	k.proto().global("collections", "OrderedDict").op(')', 'R').mark()
	for i, t := range p.tensors {
		si := p.storage[i]
		st := p.storages[si]
		k.str(t.Name).global("torch._utils", "_rebuild_tensor_v2").mark()
		k.mark().str("storage").global("torch", st.class).str(strconv.Itoa(si)).str("cpu").int(st.numel)
		if legacy {
			k.op('N')
		}
		k.op('t', 'Q').int(0)
		stride := make([]int64, len(t.Shape))
		acc := int64(1)
		for d := len(t.Shape) - 1; d >= 0; d-- {
			stride[d] = acc
			acc *= int64(t.Shape[d])
		}
		k.mark()
		for _, d := range t.Shape {
			k.int(int64(d))
		}
		k.op('t').mark()
		for _, s := range stride {
			k.int(s)
		}
		k.op('t', 0x89).global("collections", "OrderedDict").op(')', 'R', 't', 'R')
	}
	return k.op('u', '.').Bytes()
}

// pickler emits protocol-2 opcodes.
type pickler struct{ bytes.Buffer }

func (p *pickler) op(b ...byte) *pickler { p.Write(b); return p }
func (p *pickler) proto() *pickler       { return p.op(0x80, 2) }
func (p *pickler) mark() *pickler        { return p.op('(') }
func (p *pickler) global(module, name string) *pickler {
	p.WriteString("c" + module + "\n" + name + "\n")
	return p
}
func (p *pickler) str(s string) *pickler {
	p.WriteByte('X')
	binary.Write(&p.Buffer, binary.LittleEndian, uint32(len(s)))
	p.WriteString(s)
	return p
}
func (p *pickler) int(v int64) *pickler {
	switch {
	case v >= 0 && v < 1<<8:
		return p.op('K', byte(v))
	case v >= 0 && v < 1<<16:
		return p.op('M', byte(v), byte(v>>8))
	case v >= -1<<31 && v < 1<<31:
		p.WriteByte('J')
		binary.Write(&p.Buffer, binary.LittleEndian, int32(v))
	default:
		p.op(0x8a, 8)
		binary.Write(&p.Buffer, binary.LittleEndian, v)
	}
	return p
}

// writeAtomic writes path atomically with safetensors.WriteAtomic (temp
// file, fsync, rename), so a reader never sees a partial checkpoint.
func writeAtomic(path string, fill func(io.Writer) error) error {
	if err := safetensors.WriteAtomic(path, fill); err != nil {
		return fmt.Errorf("torchfile: %w", err)
	}
	return nil
}
