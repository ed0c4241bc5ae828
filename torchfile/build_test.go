package torchfile

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"math"
	"testing"
)

// pk writes pickle opcodes by hand, so tests can build exactly the
// (valid, broken or hostile) byte streams they need.
type pk struct{ bytes.Buffer }

func (p *pk) op(b ...byte) *pk { p.Write(b); return p }
func (p *pk) proto(v byte) *pk { return p.op(0x80, v) }
func (p *pk) mark() *pk        { return p.op('(') }
func (p *pk) stop() []byte     { p.op('.'); return p.Bytes() }
func (p *pk) global(module, name string) *pk {
	p.WriteByte('c')
	p.WriteString(module + "\n" + name + "\n")
	return p
}
func (p *pk) stackGlobal(module, name string) *pk {
	return p.str(module).str(name).op(0x93)
}
func (p *pk) str(s string) *pk {
	p.WriteByte('X')
	binary.Write(&p.Buffer, binary.LittleEndian, uint32(len(s)))
	p.WriteString(s)
	return p
}
func (p *pk) int(v int64) *pk {
	if v >= 0 && v < 256 {
		return p.op('K', byte(v))
	}
	if v >= math.MinInt32 && v <= math.MaxInt32 {
		p.WriteByte('J')
		binary.Write(&p.Buffer, binary.LittleEndian, int32(v))
		return p
	}
	p.op(0x8a, 8)
	binary.Write(&p.Buffer, binary.LittleEndian, v)
	return p
}
func (p *pk) ints(vs []int64) *pk {
	p.mark()
	for _, v := range vs {
		p.int(v)
	}
	return p.op('t')
}

// ptensor describes one tensor entry of a hand-built state_dict.
type ptensor struct {
	name    string
	stype   string // "FloatStorage", ...
	key     string
	numel   int64
	offset  int64
	shape   []int64
	stride  []int64
	legacy6 bool  // add the legacy 6th persistent-id field (None or view)
	view    []any // legacy view metadata (key, offset, numel) or nil
}

// stateDict builds a torch-style state_dict pickle (protocol 2, the same
// instruction pattern torch.save emits).
func stateDict(ts []ptensor) []byte {
	var p pk
	p.proto(2).global("collections", "OrderedDict").op(')', 'R').mark()
	for _, t := range ts {
		p.str(t.name).global("torch._utils", "_rebuild_tensor_v2").mark()
		p.mark().str("storage").global("torch", t.stype).str(t.key).str("cpu").int(t.numel)
		if t.legacy6 {
			if t.view == nil {
				p.op('N')
			} else {
				p.str(t.view[0].(string)).int(t.view[1].(int64)).int(t.view[2].(int64)).op(0x87)
			}
		}
		p.op('t', 'Q')
		p.int(t.offset).ints(t.shape).ints(t.stride).op(0x89)
		p.global("collections", "OrderedDict").op(')', 'R')
		p.op('t', 'R')
	}
	return p.op('u').stop()
}

// zipCheckpoint packs data.pkl and storages the way torch.save does
// (stored, under one top-level folder).
func zipCheckpoint(t testing.TB, folder string, pkl []byte, storages map[string][]byte, extra map[string]string) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	add := func(name string, data []byte) {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: folder + "/" + name, Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	add("data.pkl", pkl)
	for k, v := range storages {
		add("data/"+k, v)
	}
	for k, v := range extra {
		add(k, []byte(v))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// legacyCheckpoint builds the pre-1.6 layout around a state_dict pickle.
func legacyCheckpoint(pkl []byte, keys []string, counts []uint64, data [][]byte) []byte {
	var b bytes.Buffer
	b.Write([]byte{0x80, 2, 0x8a, 10, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, '.'})
	var p pk
	b.Write(p.proto(2).op('M', 0xe9, 0x03).stop()) // 1001
	var q pk
	b.Write(q.proto(2).op('}').mark().str("protocol_version").int(1001).str("little_endian").op(0x88).op('u').stop())
	b.Write(pkl)
	var r pk
	r.proto(2).op(']').mark()
	for _, k := range keys {
		r.str(k)
	}
	b.Write(r.op('e').stop())
	for i := range keys {
		binary.Write(&b, binary.LittleEndian, counts[i])
		b.Write(data[i])
	}
	return b.Bytes()
}

func f32bytes(vs ...float32) []byte {
	b := make([]byte, 4*len(vs))
	for i, v := range vs {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return b
}

func openBytes(b []byte) (*File, error) {
	return openReader(bytes.NewReader(b), int64(len(b)), "test.bin")
}
