package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const goldenDir = "../testdata/golden/tiny"

// mk assembles a file from a literal header and data, padding nothing, so
// tests control every byte.
func mk(hdr string, data []byte) []byte {
	b := make([]byte, 8, 8+len(hdr)+len(data))
	binary.LittleEndian.PutUint64(b, uint64(len(hdr)))
	b = append(b, hdr...)
	return append(b, data...)
}

func openGolden(t *testing.T, name string) *File {
	t.Helper()
	f, err := Open(filepath.Join(goldenDir, name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func TestGoldenFilesParse(t *testing.T) {
	for _, name := range []string{"model.safetensors", "model_fp16.safetensors", "model_bf16.safetensors",
		"inputs.safetensors", "expected.safetensors", "grads_seqcls.safetensors", "int8_seqcls.safetensors"} {
		f := openGolden(t, name)
		if f.Metadata()["format"] != "pt" {
			t.Errorf("%s: metadata format = %q", name, f.Metadata()["format"])
		}
		if len(f.Names()) == 0 {
			t.Errorf("%s: no tensors", name)
		}
	}
	f := openGolden(t, "model.safetensors")
	if n := len(f.Names()); n != 48 {
		t.Errorf("model.safetensors has %d tensors, want 48", n)
	}
	info, ok := f.Info("bert.embeddings.word_embeddings.weight")
	if !ok || info.DType != DTypeF32 || !slices.Equal(info.Shape, []int{512, 64}) {
		t.Errorf("word_embeddings info = %+v %v", info, ok)
	}
	// Shape [] is a scalar with one element.
	e := openGolden(t, "int8_seqcls.safetensors")
	v, shape, err := e.Float32("int8_max_abs_diff")
	if err != nil || len(v) != 1 || len(shape) != 0 {
		t.Errorf("scalar: %v %v %v", v, shape, err)
	}
	// Integer inputs: literal values from the golden README.
	in := openGolden(t, "inputs.safetensors")
	ids, shape, err := in.Int64("input_ids")
	if err != nil || !slices.Equal(shape, []int{3, 16}) {
		t.Fatalf("input_ids: %v %v", shape, err)
	}
	if want := []int64{101, 183, 298, 103, 369}; !slices.Equal(ids[:5], want) {
		t.Errorf("input_ids[:5] = %v, want %v", ids[:5], want)
	}
	end, _, _ := in.Int64("end_positions")
	if !slices.Equal(end, []int64{5, 30, 4}) {
		t.Errorf("end_positions = %v", end)
	}
	if _, _, err := in.Float32("input_ids"); err == nil || !strings.Contains(err.Error(), "input_ids") {
		t.Errorf("Float32 of I64 should fail naming the tensor, got %v", err)
	}
	if _, err := in.Bytes("nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing tensor: %v", err)
	}
}

// The golden files were written by a writer that follows the Rust crate's
// layout; re-writing their tensors must reproduce them byte for byte.
func TestRewriteGoldenIsByteIdentical(t *testing.T) {
	for _, name := range []string{"model.safetensors", "model_fp16.safetensors", "model_bf16.safetensors",
		"inputs.safetensors", "expected.safetensors", "grads_seqcls.safetensors"} {
		path := filepath.Join(goldenDir, name)
		orig, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		f := openGolden(t, name)
		var ts []Tensor
		for _, n := range f.Names() { // sorted, not file order: the writer must reorder
			info, _ := f.Info(n)
			b, _ := f.Bytes(n)
			ts = append(ts, Tensor{Name: n, DType: info.DType, Shape: info.Shape, Data: b})
		}
		out := filepath.Join(t.TempDir(), name)
		if err := Write(out, ts, f.Metadata()); err != nil {
			t.Fatal(err)
		}
		got, _ := os.ReadFile(out)
		// Metadata keys: we sort, the golden writer kept insertion order.
		// Files whose metadata is already sorted must match exactly.
		if !slices.IsSorted(f.MetadataKeys()) {
			t.Logf("%s: metadata keys %v not sorted; comparing the data sections only", name, f.MetadataKeys())
			ng, no := binary.LittleEndian.Uint64(got), binary.LittleEndian.Uint64(orig)
			if !bytes.Equal(got[8+ng:], orig[8+no:]) {
				t.Errorf("%s: data section differs", name)
			}
			continue
		}
		if !bytes.Equal(got, orig) {
			t.Errorf("%s: rewrite differs from the golden file (%d vs %d bytes)", name, len(got), len(orig))
		}
	}
}

func TestHalfPrecisionGoldens(t *testing.T) {
	f32 := openGolden(t, "model.safetensors")
	for _, tc := range []struct {
		file   string
		dt     DType
		relTol float64 // half an ulp of the format, relative
		conv   func(string, []int, []float32) Tensor
	}{
		{"model_fp16.safetensors", DTypeF16, 1.0 / 2048, F16FromF32},
		{"model_bf16.safetensors", DTypeBF16, 1.0 / 256, BF16FromF32},
	} {
		h := openGolden(t, tc.file)
		if !slices.Equal(h.Names(), f32.Names()) {
			t.Fatalf("%s: names differ", tc.file)
		}
		for _, n := range f32.Names() {
			ref, shape, _ := f32.Float32(n)
			got, gshape, err := h.Float32(n)
			if err != nil || !slices.Equal(shape, gshape) {
				t.Fatalf("%s %s: %v", tc.file, n, err)
			}
			for i := range ref {
				// Normal range: |err| <= 2^-11 (F16) / 2^-8 (BF16) relative.
				// F16 subnormals (|x| < 2^-14): absolute 2^-25.
				tol := tc.relTol*math.Abs(float64(ref[i])) + math.Ldexp(1, -25)
				if d := math.Abs(float64(got[i] - ref[i])); d > tol {
					t.Fatalf("%s %s[%d]: %g vs %g", tc.file, n, i, got[i], ref[i])
				}
			}
			// Our round-to-nearest-even must give exactly the golden bytes.
			info, _ := h.Info(n)
			if info.DType != tc.dt {
				t.Fatalf("%s %s: dtype %s", tc.file, n, info.DType)
			}
			want, _ := h.Bytes(n)
			if conv := tc.conv(n, shape, ref); !bytes.Equal(conv.Data, want) {
				t.Errorf("%s %s: converting F32 does not reproduce the golden bytes", tc.file, n)
			}
		}
	}
}

// Load -> save -> load is bit-identical, and an independent reader parses
// our output.
func TestRoundTrip(t *testing.T) {
	f := openGolden(t, "model.safetensors")
	in := openGolden(t, "inputs.safetensors")
	var ts []Tensor
	for _, n := range f.Names() {
		v, shape, _ := f.Float32(n)
		if len(ts)%2 == 0 {
			ts = append(ts, F32(n, shape, v))
		} else {
			ts = append(ts, F32View(n, shape, v))
		}
	}
	ids, shape, _ := in.Int64("input_ids")
	ts = append(ts, I64("input_ids", shape, ids))
	// Awkward dtypes, names and metadata for the JSON and the ordering.
	ts = append(ts,
		Tensor{Name: "z_u8", DType: DTypeU8, Shape: []int{3}, Data: []byte{1, 2, 3}},
		Tensor{Name: "a_bool", DType: DTypeBOOL, Shape: []int{2}, Data: []byte{0, 1}},
		Tensor{Name: "empty", DType: DTypeF32, Shape: []int{0, 4}, Data: nil},
		Tensor{Name: "ünïcode \"quoted\" <&> \\ \n\x01", DType: DTypeF64, Shape: []int{1}, Data: make([]byte, 8)},
		F16FromF32("half", []int{2}, []float32{1, -2}),
	)
	meta := map[string]string{"format": "pt", "note": "a \"b\"\n<c>", "": "empty key"}
	path := filepath.Join(t.TempDir(), "rt.safetensors")
	if err := Write(path, ts, meta); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	independentCheck(t, raw, ts, meta)

	g, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if len(g.Names()) != len(ts) {
		t.Fatalf("%d tensors, want %d", len(g.Names()), len(ts))
	}
	for _, want := range ts {
		info, ok := g.Info(want.Name)
		got, _ := g.Bytes(want.Name)
		if !ok || info.DType != want.DType || !slices.Equal(info.Shape, want.Shape) || !bytes.Equal(got, want.Data) {
			t.Errorf("%q: got %+v, want %s %v", want.Name, info, want.DType, want.Shape)
		}
	}
	for _, n := range f.Names() {
		a, _, _ := f.Float32(n)
		b, _, _ := g.Float32(n)
		for i := range a {
			if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
				t.Fatalf("%s[%d] not bit-identical", n, i)
			}
		}
	}
	if m := g.Metadata(); len(m) != len(meta) || m["note"] != meta["note"] || m[""] != "empty key" {
		t.Errorf("metadata = %v", m)
	}
	// Ordering as the crate: I64 > F64 > F32 > F16 > U8 > BOOL, then name.
	order := g.HeaderOrder()
	if order[0] != "input_ids" || order[len(order)-1] != "a_bool" || order[len(order)-2] != "z_u8" {
		t.Errorf("header order %v", order)
	}
}

// independentCheck reads raw with nothing but encoding/json and the format
// description: prefix, space padding to 8, compact JSON, contiguous offsets.
func independentCheck(t *testing.T, raw []byte, ts []Tensor, meta map[string]string) {
	t.Helper()
	n := binary.LittleEndian.Uint64(raw)
	if n%8 != 0 {
		t.Errorf("header length %d not a multiple of 8", n)
	}
	hdr := raw[8 : 8+n]
	trimmed := bytes.TrimRight(hdr, " ")
	if len(hdr)-len(trimmed) >= 8 || trimmed[len(trimmed)-1] != '}' {
		t.Errorf("bad padding")
	}
	if !bytes.HasPrefix(hdr, []byte(`{"__metadata__":{`)) {
		t.Errorf("header does not start with __metadata__: %.40s", hdr)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &m); err != nil {
		t.Fatal(err)
	}
	var gotMeta map[string]string
	if err := json.Unmarshal(m["__metadata__"], &gotMeta); err != nil || len(gotMeta) != len(meta) {
		t.Errorf("metadata %v %v", gotMeta, err)
	}
	data := raw[8+n:]
	total := 0
	for _, tt := range ts {
		var e struct {
			Dtype       string
			Shape       []int
			DataOffsets [2]int `json:"data_offsets"`
		}
		if err := json.Unmarshal(m[tt.Name], &e); err != nil {
			t.Fatalf("%q: %v", tt.Name, err)
		}
		if e.Dtype != string(tt.DType) || !slices.Equal(e.Shape, tt.Shape) && len(tt.Shape) > 0 {
			t.Errorf("%q: %+v", tt.Name, e)
		}
		if !bytes.Equal(data[e.DataOffsets[0]:e.DataOffsets[1]], tt.Data) {
			t.Errorf("%q: data differs", tt.Name)
		}
		total += e.DataOffsets[1] - e.DataOffsets[0]
	}
	if total != len(data) || len(m) != len(ts)+1 {
		t.Errorf("data %d bytes, tensors cover %d; %d keys", len(data), total, len(m))
	}
}

func TestCorruptInputs(t *testing.T) {
	eight := make([]byte, 8)
	good := mk(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, eight)
	if _, err := Parse(good, "good.safetensors"); err != nil {
		t.Fatalf("valid file rejected: %v", err)
	}
	huge := slices.Clone(good)
	binary.LittleEndian.PutUint64(huge, 1<<40)
	long := slices.Clone(good)
	binary.LittleEndian.PutUint64(long, uint64(len(good)))
	two := func(a, b string) string {
		return `{"a":{"dtype":"F32","shape":[1],"data_offsets":` + a + `},"b":{"dtype":"F32","shape":[1],"data_offsets":` + b + `}}`
	}
	cases := []struct {
		name, field, msg string
		buf              []byte
	}{
		{"empty", "header length", "shorter than", nil},
		{"truncated prefix", "header length", "shorter than", good[:5]},
		{"truncated data", "a", "run past", good[:len(good)-3]},
		{"truncated header", "header length", "larger than", good[:20]},
		{"header longer than file", "header length", "larger than", long},
		{"huge header length", "header length", "exceeds", huge},
		{"tiny header length", "header length", "too small", mk("{", nil)},
		{"bad json", "a", "invalid JSON", mk(`{"a":{"dtype":"F32",}}`, eight)},
		{"bad json at top level", "header", "invalid JSON", mk(`{,}`, nil)},
		{"not an object", "header", "not a JSON object", mk(`[1,2]   `, nil)},
		{"trailing garbage", "header", "after the JSON object", mk(`{} x`, nil)},
		{"invalid utf8", "header", "UTF-8", mk("{\"\xff\":1}", nil)},
		{"duplicate key", "a", "duplicate", mk(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, eight)},
		{"unknown dtype", "a", "unknown dtype \"F17\"", mk(`{"a":{"dtype":"F17","shape":[2],"data_offsets":[0,8]}}`, eight)},
		{"missing dtype", "a", "missing field \"dtype\"", mk(`{"a":{"shape":[2],"data_offsets":[0,8]}}`, eight)},
		{"missing offsets", "a", "missing field \"data_offsets\"", mk(`{"a":{"dtype":"F32","shape":[2]}}`, eight)},
		{"unknown field", "a", "unknown field", mk(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":1}}`, eight)},
		{"shape not ints", "a", "wrong type", mk(`{"a":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}}`, eight)},
		{"negative dim", "a", "negative", mk(`{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}`, eight)},
		{"shape overflow", "a", "overflows", mk(`{"a":{"dtype":"F32","shape":[65536,65536,65536,65536],"data_offsets":[0,8]}}`, eight)},
		{"shape/byte mismatch", "a", "needs 12 bytes", mk(`{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`, eight)},
		{"offsets reversed", "a", "invalid data_offsets", mk(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}`, eight)},
		{"three offsets", "a", "2 entries", mk(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8,8]}}`, eight)},
		{"out of bounds", "a", "run past", mk(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`, eight)},
		{"overlap", "b", "overlap", mk(two("[0,4]", "[2,6]"), eight)},
		{"same span twice", "b", "overlap", mk(two("[0,4]", "[0,4]"), eight)},
		{"gap", "b", "gap", mk(two("[0,4]", "[8,12]"), make([]byte, 12))},
		{"trailing bytes", "data", "trailing", mk(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, eight)},
		{"metadata not strings", "__metadata__.k", "must be a string", mk(`{"__metadata__":{"k":1}}`, nil)},
		{"metadata not object", "__metadata__", "object of strings", mk(`{"__metadata__":[]}`, nil)},
	}
	for _, c := range cases {
		_, err := Parse(c.buf, "bad.safetensors")
		var fe *FormatError
		if !errors.As(err, &fe) {
			t.Errorf("%s: got %v, want a *FormatError", c.name, err)
			continue
		}
		if fe.File != "bad.safetensors" || fe.Field != c.field || !strings.Contains(err.Error(), c.msg) ||
			!strings.Contains(err.Error(), "bad.safetensors") {
			t.Errorf("%s: error %q (field %q), want field %q and %q", c.name, err, fe.Field, c.field, c.msg)
		}
	}
	// The same checks through Open, which validates the prefix before mmap.
	dir := t.TempDir()
	for _, c := range cases[:6] {
		p := filepath.Join(dir, "x.safetensors")
		os.WriteFile(p, c.buf, 0o644)
		if _, err := Open(p); err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("Open %s: %v", c.name, err)
		}
	}
	if _, err := Open(filepath.Join(dir, "missing.safetensors")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestAcceptedEdgeCases(t *testing.T) {
	for _, c := range []struct{ name, hdr string }{
		{"empty object", `{}`},
		{"null metadata, padded", `{"__metadata__":null}    `},
		{"zero-size tensor", `{"e":{"dtype":"F32","shape":[0,3],"data_offsets":[0,0]}}`},
		{"whitespace json", "{ \"e\" : { \"dtype\" : \"U8\" , \"shape\" : [ ] , \"data_offsets\" : [ 0 , 1 ] } }\n"},
	} {
		data := []byte{}
		if strings.Contains(c.hdr, `"U8"`) {
			data = []byte{7}
		}
		f, err := Parse(mk(c.hdr, data), c.name)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		for _, n := range f.Names() {
			if _, err := f.Bytes(n); err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
		}
	}
}

func TestWriteErrors(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "w.safetensors")
	for _, c := range []struct {
		msg string
		ts  []Tensor
	}{
		{"duplicate", []Tensor{F32("a", []int{1}, []float32{1}), F32("a", []int{1}, []float32{1})}},
		{"needs 8 bytes", []Tensor{{Name: "a", DType: DTypeF32, Shape: []int{2}, Data: make([]byte, 4)}}},
		{"unknown dtype", []Tensor{{Name: "a", DType: "F7", Shape: []int{1}, Data: make([]byte, 4)}}},
		{"reserved", []Tensor{F32("__metadata__", []int{1}, []float32{1})}},
		{"invalid shape", []Tensor{{Name: "a", DType: DTypeF32, Shape: []int{-1}}}},
	} {
		if err := Write(p, c.ts, nil); err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("want %q, got %v", c.msg, err)
		}
	}
	// Failed writes leave no file and no temp file behind.
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("leftover files: %v", ents)
	}
	// No metadata: the header starts with the first tensor.
	if err := Write(p, []Tensor{F32("a", []int{1}, []float32{1})}, nil); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(p)
	if want := mk(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}  `, []byte{0, 0, 0x80, 0x3f}); !bytes.Equal(raw, want) {
		t.Errorf("got %q\nwant %q", raw, want)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("files after write: %v", ents)
	}
	// A missing directory or a path that is a directory: the error names
	// the requested file and the cause, never our temporary file.
	ts := []Tensor{F32("a", []int{1}, []float32{1})}
	missing := filepath.Join(dir, "no-such-dir", "o.safetensors")
	err := Write(missing, ts, nil)
	if err == nil || !strings.Contains(err.Error(), missing) || !strings.Contains(err.Error(), "no such file") || strings.Contains(err.Error(), ".tmp-") {
		t.Errorf("write into a missing directory: %v", err)
	}
	if err := os.Mkdir(filepath.Join(dir, "d"), 0o755); err != nil {
		t.Fatal(err)
	}
	err = Write(filepath.Join(dir, "d"), ts, nil)
	if err == nil || !strings.Contains(err.Error(), "cannot write "+filepath.Join(dir, "d")) || strings.Contains(err.Error(), ".tmp-") {
		t.Errorf("write over a directory: %v", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 2 {
		t.Errorf("leftover temp files: %v", ents)
	}
}

func TestClosed(t *testing.T) {
	f, err := Open(filepath.Join(goldenDir, "int8_seqcls.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.Float32("int8_max_abs_diff"); err == nil {
		t.Error("read after Close succeeded")
	}
}

// TestLFSPointer: a repository cloned without git-lfs holds pointer files;
// the error says so instead of blaming the header length.
func TestLFSPointer(t *testing.T) {
	p := filepath.Join(t.TempDir(), "model.safetensors")
	os.WriteFile(p, []byte("version https://git-lfs.github.com/spec/v1\noid sha256:0123\nsize 440473133\n"), 0o644)
	_, err := Open(p)
	if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "Git LFS pointer") {
		t.Errorf("LFS pointer: %v", err)
	}
	// A genuinely broken file of the same size is not called a pointer.
	os.WriteFile(p, bytes.Repeat([]byte("v"), 80), 0o644)
	if _, err := Open(p); err == nil || strings.Contains(err.Error(), "Git LFS pointer") {
		t.Errorf("non-pointer: %v", err)
	}
}

// TestWriteAtomicFillError: a failing fill leaves the old file untouched and
// no temporary file behind; a successful one gives 0644 less the umask
// (umask_unix_test.go checks umask 077): never group- or world-writable.
func TestWriteAtomicFillError(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "x.json")
	if err := WriteAtomic(p, func(w io.Writer) error { _, err := w.Write([]byte("old")); return err }); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := WriteAtomic(p, func(w io.Writer) error { w.Write([]byte("partial")); return boom })
	if !errors.Is(err, boom) || err.Error() != p+": write: boom" {
		t.Errorf("fill error: %v", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "old" {
		t.Errorf("file after a failed write: %q", b)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("leftover temp files: %v", ents)
	}
	if st, err := os.Stat(p); err != nil || st.Mode().Perm()&0o600 != 0o600 || st.Mode().Perm()&0o022 != 0 {
		t.Errorf("mode: %v %v", st, err)
	}
}
