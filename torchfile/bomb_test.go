package torchfile

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"io"
	"strings"
	"testing"
)

// bombCheckpoint builds a zip checkpoint whose one storage is a deflated
// run of zeros of storageBytes (a few hundred KB compressed), viewed by a
// 2x4 float tensor through a stride that spans the whole storage: what a
// zip bomb in pytorch_model.bin looks like.
func bombCheckpoint(t testing.TB, storageBytes int64) []byte {
	numel := storageBytes / 4
	stride := (numel - 4) // row 1 starts near the end of the storage
	pkl := stateDict([]ptensor{{name: "bert.bomb", stype: "FloatStorage", key: "0", numel: numel,
		shape: []int64{2, 4}, stride: []int64{stride, 1}}})
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, flate.BestSpeed)
	})
	w, _ := zw.CreateHeader(&zip.FileHeader{Name: "m/data.pkl", Method: zip.Store})
	w.Write(pkl)
	w, err := zw.CreateHeader(&zip.FileHeader{Name: "m/data/0", Method: zip.Deflate})
	if err != nil {
		t.Fatal(err)
	}
	zeros := make([]byte, 1<<20)
	for left := storageBytes; left > 0; left -= int64(len(zeros)) {
		w.Write(zeros[:min(left, int64(len(zeros)))])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// A deflated storage far larger than the tensors viewing it can need is
// refused before it is decompressed, naming the tensor and the size its
// shape needs, in bounded memory.
func TestZipBombRefused(t *testing.T) {
	const storageBytes = 64 << 20
	b := bombCheckpoint(t, storageBytes)
	if len(b) > 1<<20 {
		t.Fatalf("bomb is %d bytes; the test wants a small file", len(b))
	}
	var openErr, readErr error
	grew := allocDuring(func() {
		f, err := openBytes(b)
		if openErr = err; err != nil {
			return
		}
		defer f.Close()
		for _, n := range f.Names() {
			if _, _, err := f.Float32(n); err != nil {
				readErr = err
			}
		}
	})
	if grew > 4<<20 {
		t.Errorf("opening and reading a %d-byte zip bomb allocated %d bytes", len(b), grew)
	}
	if openErr == nil {
		t.Fatalf("zip bomb accepted (read error: %v)", readErr)
	}
	for _, want := range []string{`tensor "bert.bomb"`, "32 bytes", "67108864 bytes", "zip bomb"} {
		if !strings.Contains(openErr.Error(), want) {
			t.Errorf("error %q does not mention %q", openErr, want)
		}
	}
}

// A re-zipped (deflated) checkpoint of honest size still loads: the bound
// is what the views need, not "never compressed".
func TestDeflatedCheckpointLoads(t *testing.T) {
	pkl := stateDict([]ptensor{
		{name: "a", stype: "FloatStorage", key: "0", numel: 6, shape: []int64{2, 3}, stride: []int64{3, 1}},
		{name: "b", stype: "FloatStorage", key: "1", numel: 6, shape: []int64{3, 2}, stride: []int64{1, 3}},
	})
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, data := range map[string][]byte{"m/data.pkl": pkl, "m/data/0": f32bytes(1, 2, 3, 4, 5, 6), "m/data/1": f32bytes(1, 2, 3, 4, 5, 6)} {
		w, _ := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate})
		w.Write(data)
	}
	zw.Close()
	f, err := openBytes(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := f.Float32("b")
	if err != nil {
		t.Fatal(err)
	}
	if want := []float32{1, 4, 2, 5, 3, 6}; !equalF32(got, want) {
		t.Errorf("transposed view = %v, want %v", got, want)
	}
}

func equalF32(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
