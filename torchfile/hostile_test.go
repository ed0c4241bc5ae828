package torchfile

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/medbert/medbert/torchfile/pickle"
)

// mustFail opens b and requires an error mentioning every want substring.
func mustFail(t *testing.T, what string, b []byte, want ...string) {
	t.Helper()
	f, err := openBytes(b)
	if err == nil {
		f.Close()
		t.Fatalf("%s: accepted", what)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("%s: error %q does not mention %q", what, err, w)
		}
	}
}

// callPickle is the classic exploit: callable(arg) via REDUCE.
func callPickle(useStackGlobal bool, module, name, arg string) []byte {
	var p pk
	p.proto(4)
	if useStackGlobal {
		p.stackGlobal(module, name)
	} else {
		p.global(module, name)
	}
	return p.str(arg).op(0x85, 'R').stop()
}

func TestMaliciousGlobalsRejected(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "pwned")
	cmd := "touch " + marker
	cases := []struct{ module, name string }{
		{"os", "system"}, {"posix", "system"}, {"builtins", "eval"}, {"builtins", "exec"},
		{"__builtin__", "eval"}, {"subprocess", "Popen"}, {"subprocess", "check_output"},
		{"torch", "load"}, {"torch.serialization", "load"}, {"collections", "namedtuple"},
		{"torch._utils", "_rebuild_tensor_v2x"},
	}
	for _, c := range cases {
		full := c.module + "." + c.name
		for _, sg := range []bool{false, true} {
			pkl := callPickle(sg, c.module, c.name, cmd)
			// In a zip checkpoint's data.pkl ...
			mustFail(t, full+" in zip", zipCheckpoint(t, "archive", pkl, nil, nil), `"`+full+`"`, "data.pkl")
			// ... and as the state_dict pickle of a legacy file.
			mustFail(t, full+" in legacy", legacyCheckpoint(pkl, nil, nil, nil), `"`+full+`"`)
		}
	}
	// The global hidden inside a tensor entry, after valid data.
	var p pk
	p.proto(2).global("collections", "OrderedDict").op(')', 'R').mark().str("w")
	p.global("torch._utils", "_rebuild_tensor_v2").mark().global("os", "system").str(cmd).op(0x85, 'R')
	mustFail(t, "nested", zipCheckpoint(t, "archive", p.op('t', 'R', 'u').stop(), nil, nil), `"os.system"`)
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("the payload ran")
	}
}

func TestNonDataOpcodesRejected(t *testing.T) {
	for name, b := range map[string][]byte{
		"INST": []byte("(ios\nsystem\nS'true'\n."),
		"OBJ":  []byte("\x80\x02(cos\nsystem\nX\x04\x00\x00\x00trueo."),
		"EXT1": []byte("\x80\x02\x82\x01."),
		"allowed callable misused": func() []byte {
			var p pk
			p.proto(2).global("collections", "OrderedDict").str("x").op(0x85, 'R')
			return p.stop()
		}(),
		"storage class called": func() []byte {
			var p pk
			p.proto(2).global("torch", "FloatStorage").int(10).op(0x85, 'R')
			return p.stop()
		}(),
		"BUILD on a non-dict":         []byte("\x80\x02X\x01\x00\x00\x00a}b."),
		"persistent id not a storage": []byte("\x80\x02X\x03\x00\x00\x00abcQ."),
	} {
		mustFail(t, name, zipCheckpoint(t, "archive", b, nil, nil))
	}
}

func TestTruncatedAndCorrupt(t *testing.T) {
	for _, file := range []string{"pytorch_model.bin", "pytorch_model_legacy.bin"} {
		full, err := os.ReadFile(goldenDir + file)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{0, 3, 10, 100, 4000, len(full) / 2, len(full) - 100, len(full) - 1} {
			if f, err := openBytes(full[:n]); err == nil {
				f.Close()
				t.Errorf("%s truncated to %d bytes: accepted", file, n)
			}
		}
	}
	// A zip whose central directory survives but whose storage record
	// claims more bytes than the file has: patch the sizes of data/0 in
	// its central-directory header.
	pkl := stateDict([]ptensor{{name: "w", stype: "FloatStorage", key: "0", numel: 2, shape: []int64{2}, stride: []int64{1}}})
	b := zipCheckpoint(t, "archive", pkl, map[string][]byte{"0": f32bytes(1, 2)}, nil)
	cd := bytes.Index(b, []byte("PK\x01\x02"))
	for ; cd >= 0; cd = next(b, cd) {
		if string(b[cd+46:cd+46+len("archive/data/0")]) == "archive/data/0" {
			binary.LittleEndian.PutUint32(b[cd+20:], 1<<30)
			binary.LittleEndian.PutUint32(b[cd+24:], 1<<30)
			break
		}
	}
	if cd < 0 {
		t.Fatal("central directory entry not found")
	}
	mustFail(t, "record past end of file", b, "past the end of the file")

	mustFail(t, "not a checkpoint", []byte("hello world"), "not a PyTorch checkpoint")
	mustFail(t, "bare pickle", []byte("\x80\x02}."), "bare pickle")
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("archive/other.pkl")
	w.Write([]byte("\x80\x02}."))
	zw.Close()
	mustFail(t, "no data.pkl", buf.Bytes(), "no <folder>/data.pkl")
}

// next finds the central-directory header after the one at i.
func next(b []byte, i int) int {
	j := bytes.Index(b[i+4:], []byte("PK\x01\x02"))
	if j < 0 {
		return -1
	}
	return i + 4 + j
}

func TestStorageTooShort(t *testing.T) {
	pk := func(numel int64, shape []int64, offset int64) []byte {
		return stateDict([]ptensor{{name: "w", stype: "FloatStorage", key: "0", numel: numel, offset: offset, shape: shape, stride: []int64{1}}})
	}
	// The storage record holds 2 floats but declares 4.
	mustFail(t, "zip record short", zipCheckpoint(t, "a", pk(4, []int64{4}, 0), map[string][]byte{"0": f32bytes(1, 2)}, nil), "declares 4 elements", `"w"`)
	// The view needs 4 elements of a 2-element storage.
	mustFail(t, "view too long", zipCheckpoint(t, "a", pk(2, []int64{4}, 0), map[string][]byte{"0": f32bytes(1, 2)}, nil), "reaches element 3")
	// Legacy: element count in the file larger than the bytes that follow.
	mustFail(t, "legacy data short", legacyCheckpoint(pk(4, []int64{4}, 0), []string{"0"}, []uint64{4}, [][]byte{f32bytes(1, 2)}), "only 8 bytes remain")
	// Legacy: the count is honest but smaller than the persistent id says.
	mustFail(t, "legacy count short", legacyCheckpoint(pk(4, []int64{4}, 0), []string{"0"}, []uint64{2}, [][]byte{f32bytes(1, 2)}), "declares 4 elements")
	// Legacy: a storage used by a tensor but missing from the key list.
	mustFail(t, "legacy missing storage", legacyCheckpoint(pk(2, []int64{2}, 0), nil, nil, nil), "missing from the storage list")
	// A storage key naming a record that is not in the archive.
	mustFail(t, "missing record", zipCheckpoint(t, "a", pk(2, []int64{2}, 0), nil, nil), "no record")
}

func TestOutOfBoundsOffsets(t *testing.T) {
	data := map[string][]byte{"0": f32bytes(1, 2, 3, 4)}
	for name, tc := range map[string]ptensor{
		"offset past end":    {offset: 4, shape: []int64{1}, stride: []int64{1}},
		"offset+size":        {offset: 3, shape: []int64{2}, stride: []int64{1}},
		"huge offset":        {offset: 1 << 62, shape: []int64{1}, stride: []int64{1}},
		"stride past end":    {offset: 0, shape: []int64{2}, stride: []int64{4}},
		"overflowing stride": {offset: 0, shape: []int64{3}, stride: []int64{1 << 62}},
		"negative offset":    {offset: -1, shape: []int64{1}, stride: []int64{1}},
		"negative stride":    {offset: 3, shape: []int64{2}, stride: []int64{-1}},
		"negative size":      {offset: 0, shape: []int64{-1}, stride: []int64{1}},
		"rank mismatch":      {offset: 0, shape: []int64{2, 2}, stride: []int64{1}},
		"broadcast view":     {offset: 0, shape: []int64{1000}, stride: []int64{0}},
	} {
		tc.name, tc.stype, tc.key, tc.numel = "w", "FloatStorage", "0", 4
		// Views are checked against storages after the pickle is decoded
		// (naming the tensor); malformed arguments fail while decoding.
		_, err := openBytes(zipCheckpoint(t, "a", stateDict([]ptensor{tc}), data, nil))
		if err == nil || !strings.Contains(err.Error(), `tensor "w"`) && !strings.Contains(err.Error(), "a/data.pkl") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	// A legacy storage view outside its root.
	pkl := stateDict([]ptensor{{name: "v", stype: "FloatStorage", key: "r", numel: 4, shape: []int64{1}, stride: []int64{1}, legacy6: true, view: []any{"k", int64(3), int64(2)}}})
	mustFail(t, "legacy view outside root", legacyCheckpoint(pkl, []string{"r"}, []uint64{4}, [][]byte{f32bytes(1, 2, 3, 4)}), "outside storage")
}

func TestDeepNesting(t *testing.T) {
	rep := func(s string, n int) []byte { return []byte(strings.Repeat(s, n)) }
	cases := map[string][]byte{
		"marks":       append(append([]byte{0x80, 2}, rep("(", 100000)...), '.'),
		"tuple chain": append(append([]byte{0x80, 2, ')'}, rep("\x85", 100000)...), '.'),
		"list chain":  append(append([]byte{0x80, 2}, rep("]", 1000)...), append(rep("a", 999), '.')...),
		"dict chain":  append(append([]byte{0x80, 2, '}'}, rep("X\x01\x00\x00\x00k}", 1000)...), append(rep("s", 1000), '.')...),
	}
	for name, b := range cases {
		u := &pickle.Unpickler{}
		if _, _, err := u.LoadBytes(b); err == nil || !strings.Contains(err.Error(), "deeper than") && !strings.Contains(err.Error(), "nested MARKs") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	// A list containing itself is legal pickle; it must neither hang nor
	// be mistaken for a state_dict.
	selfRef := []byte("\x80\x02]q\x00h\x00a.")
	mustFail(t, "self-referencing list", zipCheckpoint(t, "a", selfRef, nil, nil), "not a state_dict")
	// Memo flooding is bounded.
	var p pk
	p.proto(2).op('N')
	for i := 0; i < 1<<21; i++ {
		p.op('r')
		binary.Write(&p.Buffer, binary.LittleEndian, uint32(i))
	}
	if _, _, err := (&pickle.Unpickler{}).LoadBytes(p.stop()); err == nil || !strings.Contains(err.Error(), "memo exceeds") {
		t.Errorf("memo flood: %v", err)
	}
}

// allocDuring reports the bytes allocated while fn runs.
func allocDuring(fn func()) uint64 {
	var a, b runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&a)
	fn()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

func TestHugeDeclaredSizes(t *testing.T) {
	const budget = 1 << 20 // far below any of the declared sizes
	var huge []struct {
		name string
		b    []byte
		want string
	}
	add := func(name string, b []byte, want string) {
		huge = append(huge, struct {
			name string
			b    []byte
			want string
		}{name, b, want})
	}
	// Strings whose length prefix exceeds the input.
	add("BINUNICODE8", zipCheckpoint(t, "a", []byte("\x80\x04\x8d\x00\x00\x00\x00\x00\x00\x00\x10."), nil, nil), "data.pkl")
	add("BINUNICODE", zipCheckpoint(t, "a", []byte("\x80\x02X\xff\xff\xff\x7f."), nil, nil), "exceeds limit")
	add("BINBYTES8", zipCheckpoint(t, "a", []byte("\x80\x04\x8e\xff\xff\xff\xff\xff\xff\xff\x7f."), nil, nil), "")
	add("LONG4", zipCheckpoint(t, "a", []byte("\x80\x02\x8b\xff\xff\xff\x7f."), nil, nil), "integer of")
	add("FRAME", zipCheckpoint(t, "a", []byte("\x80\x04\x95\xff\xff\xff\xff\xff\xff\xff\x00N."), nil, nil), "frame")
	// A tensor of 2^40 floats over a 4-byte storage record.
	bigT := ptensor{name: "w", stype: "FloatStorage", key: "0", numel: 1 << 40, shape: []int64{1 << 40}, stride: []int64{1}}
	add("zip tensor", zipCheckpoint(t, "a", stateDict([]ptensor{bigT}), map[string][]byte{"0": f32bytes(1)}, nil), "declares")
	// Shape product overflowing int64.
	ovf := ptensor{name: "w", stype: "FloatStorage", key: "0", numel: 1, shape: []int64{1 << 40, 1 << 40}, stride: []int64{0, 0}}
	add("overflowing shape", zipCheckpoint(t, "a", stateDict([]ptensor{ovf}), map[string][]byte{"0": f32bytes(1)}, nil), "overflow")
	// Legacy: an element count of 2^60 in front of 4 bytes.
	add("legacy count", legacyCheckpoint(stateDict([]ptensor{bigT}), []string{"0"}, []uint64{1 << 60}, [][]byte{f32bytes(1)}), "remain")
	for _, h := range huge {
		var err error
		n := allocDuring(func() {
			var f *File
			if f, err = openBytes(h.b); err == nil {
				f.Close()
			}
		})
		if err == nil {
			t.Errorf("%s: accepted", h.name)
		} else if !strings.Contains(err.Error(), h.want) {
			t.Errorf("%s: error %q does not mention %q", h.name, err, h.want)
		}
		if n > budget {
			t.Errorf("%s: allocated %d bytes", h.name, n)
		}
	}
}

// A deflated member claiming far more bytes than deflate can produce from
// its compressed size is refused before any buffer is sized from it.
func TestDeflateClaimRefused(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	pkl := stateDict([]ptensor{{name: "w", stype: "FloatStorage", key: "0", numel: 1 << 28, shape: []int64{1 << 28}, stride: []int64{1}}})
	for name, data := range map[string][]byte{"m/data.pkl": pkl, "m/data/0": f32bytes(1)} {
		w, _ := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate})
		w.Write(data)
	}
	zw.Close()
	b := buf.Bytes()
	for cd := bytes.Index(b, []byte("PK\x01\x02")); cd >= 0; cd = next(b, cd) {
		if string(b[cd+46:cd+46+len("m/data/0")]) == "m/data/0" {
			binary.LittleEndian.PutUint32(b[cd+24:], 1<<30) // uncompressed size
		}
	}
	var err error
	if n := allocDuring(func() { _, err = openBytes(b) }); n > 1<<20 {
		t.Errorf("allocated %d bytes", n)
	}
	if err == nil || !strings.Contains(err.Error(), "compression ratio") {
		t.Fatalf("err = %v", err)
	}
}

// TestLFSPointer: a folder cloned without git-lfs holds a text pointer in
// place of pytorch_model.bin; the error says what happened and what to do.
func TestLFSPointer(t *testing.T) {
	mustFail(t, "LFS pointer", []byte("version https://git-lfs.github.com/spec/v1\noid sha256:0123\nsize 440473133\n"), "Git LFS pointer", "git lfs pull")
	mustFail(t, "other text", []byte("version 2 of my weights, not really a checkpoint\n"), "not a PyTorch checkpoint")
}
