package torchfile

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Six floats 0..5 viewed several ways: contiguous, transposed, a strided
// column and an offset slice, all sharing one storage.
func stridedCheckpoint(t testing.TB) []byte {
	pkl := stateDict([]ptensor{
		{name: "full", stype: "FloatStorage", key: "0", numel: 6, shape: []int64{2, 3}, stride: []int64{3, 1}},
		{name: "transposed", stype: "FloatStorage", key: "0", numel: 6, shape: []int64{3, 2}, stride: []int64{1, 3}},
		{name: "column1", stype: "FloatStorage", key: "0", numel: 6, offset: 1, shape: []int64{2}, stride: []int64{3}},
		{name: "tail", stype: "FloatStorage", key: "0", numel: 6, offset: 4, shape: []int64{2}, stride: []int64{1}},
		{name: "scalar", stype: "FloatStorage", key: "0", numel: 6, offset: 5, shape: []int64{}, stride: []int64{}},
		{name: "empty", stype: "FloatStorage", key: "0", numel: 6, offset: 6, shape: []int64{0, 3}, stride: []int64{3, 1}},
	})
	return zipCheckpoint(t, "archive", pkl, map[string][]byte{"0": f32bytes(0, 1, 2, 3, 4, 5)}, map[string]string{"byteorder": "little"})
}

func TestStridedViews(t *testing.T) {
	f, err := openBytes(stridedCheckpoint(t))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		vals  []float32
		shape []int
	}{
		"full":       {[]float32{0, 1, 2, 3, 4, 5}, []int{2, 3}},
		"transposed": {[]float32{0, 3, 1, 4, 2, 5}, []int{3, 2}},
		"column1":    {[]float32{1, 4}, []int{2}},
		"tail":       {[]float32{4, 5}, []int{2}},
		"scalar":     {[]float32{5}, []int{}},
		"empty":      {[]float32{}, []int{0, 3}},
	}
	for name, w := range want {
		got, shape, err := f.Float32(name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !slices.Equal(got, w.vals) || !slices.Equal(shape, w.shape) {
			t.Errorf("%s = %v %v, want %v %v", name, got, shape, w.vals, w.shape)
		}
	}
	if a, ok := f.Alias("transposed"); ok {
		t.Errorf("transposed view reported as alias of %s", a)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestDTypes(t *testing.T) {
	h := func(vs ...uint16) []byte {
		b := make([]byte, 2*len(vs))
		for i, v := range vs {
			binary.LittleEndian.PutUint16(b[2*i:], v)
		}
		return b
	}
	i64 := make([]byte, 16)
	binary.LittleEndian.PutUint64(i64, uint64(1<<40))
	binary.LittleEndian.PutUint64(i64[8:], ^uint64(6)) // -7
	f64 := make([]byte, 8)
	binary.LittleEndian.PutUint64(f64, 0x3ff8000000000000) // 1.5
	one := func(name, stype string, n int64) ptensor {
		return ptensor{name: name, stype: stype, key: name, numel: n, shape: []int64{n}, stride: []int64{1}}
	}
	pkl := stateDict([]ptensor{
		one("h", "HalfStorage", 4), one("bf", "BFloat16Storage", 2), one("l", "LongStorage", 2),
		one("d", "DoubleStorage", 1), one("b", "BoolStorage", 2), one("c", "CharStorage", 1),
	})
	b := zipCheckpoint(t, "x", pkl, map[string][]byte{
		// 1.0, -2.0, smallest subnormal 2^-24, 65504
		"h":  h(0x3c00, 0xc000, 0x0001, 0x7bff),
		"bf": h(0x3f80, 0xc0a0), // 1.0, -5.0
		"l":  i64, "d": f64, "b": {1, 0}, "c": {0xff},
	}, nil)
	f, err := openBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	checkF := func(name string, want ...float32) {
		t.Helper()
		got, _, err := f.Float32(name)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("%s = %v, %v; want %v", name, got, err, want)
		}
	}
	checkF("h", 1, -2, 1.0/(1<<24), 65504)
	checkF("bf", 1, -5)
	checkF("d", 1.5)
	checkI := func(name string, want ...int64) {
		t.Helper()
		got, _, err := f.Int64(name)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("%s = %v, %v; want %v", name, got, err, want)
		}
	}
	checkI("l", 1<<40, -7)
	checkI("b", 1, 0)
	checkI("c", -1)
	for name, dt := range map[string]string{"h": "F16", "bf": "BF16", "l": "I64", "d": "F64", "b": "BOOL", "c": "I8"} {
		if info, _ := f.Info(name); info.DType != dt {
			t.Errorf("%s dtype %s, want %s", name, info.DType, dt)
		}
	}
}

func TestBigEndianRejected(t *testing.T) {
	pkl := stateDict([]ptensor{{name: "w", stype: "FloatStorage", key: "0", numel: 1, shape: []int64{1}, stride: []int64{1}}})
	_, err := openBytes(zipCheckpoint(t, "a", pkl, map[string][]byte{"0": f32bytes(1)}, map[string]string{"byteorder": "big"}))
	if err == nil || !strings.Contains(err.Error(), "little-endian") {
		t.Fatalf("err = %v", err)
	}
}

func TestLegacyStorageView(t *testing.T) {
	// Pre-1.0 files: two tensors over views of one root storage.
	pkl := stateDict([]ptensor{
		{name: "a", stype: "FloatStorage", key: "root", numel: 6, shape: []int64{3}, stride: []int64{1}, legacy6: true, view: []any{"v1", int64(2), int64(3)}},
		{name: "b", stype: "FloatStorage", key: "root", numel: 6, shape: []int64{2}, stride: []int64{1}, legacy6: true, view: []any{"v2", int64(0), int64(2)}},
	})
	f, err := openBytes(legacyCheckpoint(pkl, []string{"root"}, []uint64{6}, [][]byte{f32bytes(10, 11, 12, 13, 14, 15)}))
	if err != nil {
		t.Fatal(err)
	}
	a, _, _ := f.Float32("a")
	b, _, _ := f.Float32("b")
	if !slices.Equal(a, []float32{12, 13, 14}) || !slices.Equal(b, []float32{10, 11}) {
		t.Fatalf("a = %v, b = %v", a, b)
	}
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestShardedAndFindWeights(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := FindWeights(dir); err == nil {
		t.Fatal("empty folder accepted")
	}
	writeFile(t, filepath.Join(dir, "tf_model.h5"), []byte("x"))
	if _, _, err := FindWeights(dir); err == nil || !strings.Contains(err.Error(), "tf_model.h5") {
		t.Fatalf("TF-only folder: %v", err)
	}
	one := func(name string, v float32) []byte {
		pkl := stateDict([]ptensor{{name: name, stype: "FloatStorage", key: "0", numel: 1, shape: []int64{1}, stride: []int64{1}}})
		return zipCheckpoint(t, "archive", pkl, map[string][]byte{"0": f32bytes(v)}, nil)
	}
	writeFile(t, filepath.Join(dir, "pytorch_model-00001-of-00002.bin"), one("a", 1))
	writeFile(t, filepath.Join(dir, "pytorch_model-00002-of-00002.bin"), one("b", 2))
	writeFile(t, filepath.Join(dir, "pytorch_model.bin.index.json"), []byte(`{"metadata":{"total_size":8},"weight_map":{"a":"pytorch_model-00001-of-00002.bin","b":"pytorch_model-00002-of-00002.bin"}}`))
	src, kind, err := OpenWeights(dir)
	if err != nil || kind != TorchBinIndex {
		t.Fatalf("OpenWeights: %v %v", kind, err)
	}
	if !slices.Equal(src.Names(), []string{"a", "b"}) {
		t.Errorf("names %v", src.Names())
	}
	if v, _, err := src.Float32("b"); err != nil || v[0] != 2 {
		t.Errorf("b = %v %v", v, err)
	}
	if sh, name, _ := src.(*Sharded).Shard("a"); name != "pytorch_model-00001-of-00002.bin" || sh.(*File).Format() != "zip" {
		t.Errorf("Shard(a) = %s", name)
	}
	src.Close()

	// A single pytorch_model.bin wins over the index.
	writeFile(t, filepath.Join(dir, "pytorch_model.bin"), one("c", 3))
	if p, kind, _ := FindWeights(dir); kind != TorchBin || filepath.Base(p) != "pytorch_model.bin" {
		t.Errorf("FindWeights = %s %v", p, kind)
	}

	for _, bad := range []string{`{"weight_map":{"a":"../x.bin"}}`, `{"weight_map":{"a":"/etc/passwd"}}`, `{"weight_map":{}}`, `{"weight_map":`} {
		writeFile(t, filepath.Join(dir, "bad.index.json"), []byte(bad))
		if _, err := OpenSharded(filepath.Join(dir, "bad.index.json")); err == nil {
			t.Errorf("index %s accepted", bad)
		}
	}
	writeFile(t, filepath.Join(dir, "lying.index.json"), []byte(`{"weight_map":{"zz":"pytorch_model-00001-of-00002.bin"}}`))
	if _, err := OpenSharded(filepath.Join(dir, "lying.index.json")); err == nil || !strings.Contains(err.Error(), "zz") {
		t.Errorf("index naming a missing tensor: %v", err)
	}
}

func TestModernName(t *testing.T) {
	for in, want := range map[string]string{
		"bert.embeddings.LayerNorm.gamma":                  "bert.embeddings.LayerNorm.weight",
		"bert.encoder.layer.0.output.LayerNorm.beta":       "bert.encoder.layer.0.output.LayerNorm.bias",
		"cls.predictions.bias":                             "cls.predictions.bias",
		"bert.encoder.layer.0.attention.self.query.weight": "bert.encoder.layer.0.attention.self.query.weight",
	} {
		if got := ModernName(in); got != want {
			t.Errorf("ModernName(%q) = %q", in, got)
		}
	}
	if !IsBuffer("bert.embeddings.position_ids") || IsBuffer("bert.embeddings.position_embeddings.weight") {
		t.Error("IsBuffer")
	}
}

// Re-zipped archives may deflate their members; the slow path must give
// the same values, including a strided view that starts mid-storage.
func TestCompressedMembers(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	pkl := stateDict([]ptensor{
		{name: "full", stype: "FloatStorage", key: "0", numel: 6, shape: []int64{2, 3}, stride: []int64{3, 1}},
		{name: "col", stype: "FloatStorage", key: "0", numel: 6, offset: 2, shape: []int64{2}, stride: []int64{3}},
	})
	for name, data := range map[string][]byte{"m/data.pkl": pkl, "m/data/0": f32bytes(0, 1, 2, 3, 4, 5)} {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	zw.Close()
	f, err := openBytes(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	full, _, _ := f.Float32("full")
	col, _, _ := f.Float32("col")
	if !slices.Equal(full, []float32{0, 1, 2, 3, 4, 5}) || !slices.Equal(col, []float32{2, 5}) {
		t.Fatalf("full %v col %v", full, col)
	}
}
