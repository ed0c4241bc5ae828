package torchfile

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"testing"

	"github.com/medbert/medbert/torchfile/pickle"
)

// goldenPickle returns the golden zip checkpoint's data.pkl bytes.
func goldenPickle(t testing.TB) []byte {
	b, err := os.ReadFile(goldenDir + "pytorch_model.bin")
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	for _, zf := range zr.File {
		if zf.Name == "pytorch_model/data.pkl" {
			rc, _ := zf.Open()
			defer rc.Close()
			data, err := io.ReadAll(rc)
			if err != nil {
				t.Fatal(err)
			}
			return data
		}
	}
	t.Fatal("no data.pkl in the golden file")
	return nil
}

// FuzzUnpickle runs the torch-policy interpreter on arbitrary bytes: it
// must return a value or an error, never panic, hang or blow up memory.
// The seed corpus (run by every plain `go test`) holds the golden
// state_dict pickles, hand-built pickles covering every opcode family the
// interpreter knows (unpickleSeeds) and hostile variants. Run it with a
// short minimize time, or the fuzzer spends most of its budget shrinking
// each new input (0 execs/s for most of a minute):
//
//	go test -run '^$' -fuzz '^FuzzUnpickle$' -fuzztime 60s -fuzzminimizetime 2s ./torchfile/
func FuzzUnpickle(f *testing.F) {
	for _, s := range unpickleSeeds() {
		f.Add(s)
	}
	f.Add(goldenPickle(f))
	legacy, err := os.ReadFile(goldenDir + "pytorch_model_legacy.bin")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(legacy[:6243]) // the five legacy pickles
	f.Add(stateDict([]ptensor{{name: "w", stype: "HalfStorage", key: "0", numel: 6, shape: []int64{2, 3}, stride: []int64{1, 2}}}))
	f.Add(callPickle(true, "os", "system", "true"))
	f.Add([]byte("\x80\x02]q\x00h\x00a."))
	f.Add([]byte("\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00}\x94(\x8c\x01a\x94K\x01u."))
	f.Fuzz(func(t *testing.T, data []byte) {
		storages := map[string]*storage{}
		u := &pickle.Unpickler{
			FindClass: findClass, Call: call, Build: build,
			PersistentLoad: func(pid any) (any, error) { return persistentLoad(pid, storages, len(data)%2 == 0) },
		}
		v, n, err := u.LoadBytes(data)
		if err == nil {
			if n > int64(len(data)) {
				t.Fatalf("consumed %d of %d bytes", n, len(data))
			}
			tf := &File{path: "fuzz"}
			_ = tf.collect(v)
		}
	})
}

// FuzzOpen feeds whole files (zip and legacy) to the format detection and
// both readers, then reads every tensor that validated. Seeds: small zip
// checkpoints of every dtype, strided and tied views, deflated members, a
// small zip bomb, legacy files with storage views, and the format's
// near-misses (bare pickle, LFS pointer). Run it as
//
//	go test -run '^$' -fuzz '^FuzzOpen$' -fuzztime 60s -fuzzminimizetime 2s ./torchfile/
//
// (see FuzzUnpickle on -fuzzminimizetime).
func FuzzOpen(f *testing.F) {
	for _, s := range openSeeds(f) {
		f.Add(s)
	}
	f.Add(stridedCheckpoint(f))
	pkl := stateDict([]ptensor{{name: "a", stype: "FloatStorage", key: "r", numel: 6, shape: []int64{3}, stride: []int64{2}, legacy6: true}})
	f.Add(legacyCheckpoint(pkl, []string{"r"}, []uint64{6}, [][]byte{f32bytes(1, 2, 3, 4, 5, 6)}))
	f.Fuzz(func(t *testing.T, data []byte) {
		tf, err := openBytes(data)
		if err != nil {
			return
		}
		for _, n := range tf.Names() {
			tf.Raw(n)
		}
	})
}

// unpickleSeeds are small pickles reaching the interpreter's opcode
// families: protocol 0 text opcodes, binary ints and floats, memo
// get/put, frames, sets, bytes, persistent ids of both formats, BUILD on
// an OrderedDict and _rebuild_parameter.
func unpickleSeeds() [][]byte {
	var out [][]byte
	for _, s := range []string{
		"(I1\nI-2\nL3L\nF1.5\nX\x01\x00\x00\x00xN\x88\x89tp0\n.",                                                               // protocol 0 numbers, BINUNICODE, TUPLE, PUT
		"(lp0\nI1\nag0\na(dp1\nX\x01\x00\x00\x00kI2\ns0.",                                                                      // LIST, APPEND, GET, DICT, SETITEM, POP
		"\x80\x02K\x01M\xe9\x03J\xff\xff\xff\xff\x8a\x02\x00\x80\x87q\x00h\x00\x86\x86.",                                       // ints, LONG1, TUPLE3, BINPUT, BINGET
		"\x80\x02G?\xf8\x00\x00\x00\x00\x00\x00]\x94(K\x01K\x02e\x86.",                                                         // BINFLOAT, MEMOIZE, APPENDS
		"\x80\x04\x95\x09\x00\x00\x00\x00\x00\x00\x00]\x94(K\x01K\x02e.",                                                       // FRAME
		"\x80\x03C\x03abcB\x02\x00\x00\x00xyN\x87.",                                                                            // SHORT_BINBYTES, BINBYTES
		"\x80\x02Nr\x00\x00\x00\x00\x94j\x00\x00\x00\x00\x86.",                                                                 // LONG_BINPUT, LONG_BINGET
		"\x80\x02}(X\x01\x00\x00\x00a]U\x01bK\x01u.",                                                                           // SETITEMS, SHORT_BINSTRING
		"\x80\x02(K\x01K\x021K\x032\x86.",                                                                                      // POP_MARK, DUP
		"\x80\x04\x8d\x02\x00\x00\x00\x00\x00\x00\x00hi\x8e\x01\x00\x00\x00\x00\x00\x00\x00z\x8b\x02\x00\x00\x00\xff\x7f\x87.", // BINUNICODE8, BINBYTES8, LONG4
		"\x80\x04\x8c\x0bcollections\x94\x8c\x0bOrderedDict\x94\x93)R.",                                                        // SHORT_BINUNICODE, STACK_GLOBAL
		"\x80\x02X\x03\x00\x00\x00abcQ.",                                                                                       // BINPERSID of a non-tuple
	} {
		out = append(out, []byte(s))
	}
	// State dicts: every storage type, a legacy view, a parameter, BUILD.
	var ts []ptensor
	for i, st := range []string{"FloatStorage", "DoubleStorage", "HalfStorage", "BFloat16Storage", "LongStorage", "IntStorage", "ShortStorage", "CharStorage", "ByteStorage", "BoolStorage"} {
		ts = append(ts, ptensor{name: st, stype: st, key: string(rune('a' + i)), numel: 4, shape: []int64{2, 2}, stride: []int64{2, 1}})
	}
	out = append(out, stateDict(ts))
	out = append(out, stateDict([]ptensor{{name: "v", stype: "FloatStorage", key: "r", numel: 8, shape: []int64{2}, stride: []int64{1}, legacy6: true, view: []any{"k", int64(2), int64(4)}}}))
	var p pk
	p.proto(2).global("collections", "OrderedDict").op(')', 'R').mark().str("w")
	p.global("torch._utils", "_rebuild_parameter").mark()
	p.global("torch._utils", "_rebuild_tensor_v2").mark()
	p.mark().str("storage").global("torch", "FloatStorage").str("0").str("cpu").int(2).op('t', 'Q')
	p.int(0).ints([]int64{2}).ints([]int64{1}).op(0x89).global("collections", "OrderedDict").op(')', 'R').op('t', 'R')
	p.op(0x88).global("collections", "OrderedDict").op(')', 'R').op('t', 'R')
	p.op('u').op('}').str("_metadata").op('}', 's', 'b')
	out = append(out, p.stop())
	return out
}

// openSeeds are small whole checkpoints for FuzzOpen.
func openSeeds(t testing.TB) [][]byte {
	var out [][]byte
	one := func(name, stype string, n int64) ptensor {
		return ptensor{name: name, stype: stype, key: name, numel: n, shape: []int64{n}, stride: []int64{1}}
	}
	pkl := stateDict([]ptensor{one("h", "HalfStorage", 2), one("bf", "BFloat16Storage", 2), one("l", "LongStorage", 1), one("b", "BoolStorage", 2)})
	out = append(out, zipCheckpoint(t, "x", pkl, map[string][]byte{"h": {0, 0x3c, 0, 0xc0}, "bf": {0x80, 0x3f, 0xa0, 0xc0}, "l": make([]byte, 8), "b": {1, 0}},
		map[string]string{"version": "3\n", ".data/serialization_id": "1"}))
	// Tied weights: two names, one storage and view.
	tied := stateDict([]ptensor{
		{name: "emb", stype: "FloatStorage", key: "0", numel: 4, shape: []int64{2, 2}, stride: []int64{2, 1}},
		{name: "dec", stype: "FloatStorage", key: "0", numel: 4, shape: []int64{2, 2}, stride: []int64{2, 1}},
	})
	out = append(out, zipCheckpoint(t, "archive", tied, map[string][]byte{"0": f32bytes(1, 2, 3, 4)}, nil))
	// Deflated members, and a small zip bomb (64 KB of zeros behind a stride).
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, data := range map[string][]byte{"m/data.pkl": tied, "m/data/0": f32bytes(1, 2, 3, 4)} {
		w, _ := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate})
		w.Write(data)
	}
	zw.Close()
	out = append(out, buf.Bytes(), bombCheckpoint(t, 64<<10))
	// Legacy: a root storage with a view, and a plain tensor.
	lp := stateDict([]ptensor{
		{name: "a", stype: "FloatStorage", key: "r", numel: 6, shape: []int64{3}, stride: []int64{2}, legacy6: true},
		{name: "v", stype: "FloatStorage", key: "r", numel: 6, shape: []int64{2}, stride: []int64{1}, legacy6: true, view: []any{"k", int64(2), int64(2)}},
	})
	out = append(out, legacyCheckpoint(lp, []string{"r"}, []uint64{6}, [][]byte{f32bytes(1, 2, 3, 4, 5, 6)}))
	out = append(out, []byte("\x80\x02}."), []byte("version https://git-lfs.github.com/spec/v1\noid sha256:00\nsize 1\n"), []byte("PK\x03\x04"))
	return out
}
