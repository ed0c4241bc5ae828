package torchfile

import (
	"archive/zip"
	"bytes"
	"path/filepath"
	"testing"

	"github.com/medbert/medbert/safetensors"
)

// goldenTensors returns model.safetensors as writer input, with the two
// MLM decoder aliases tied as HF state_dicts have them.
func goldenTensors(t *testing.T) []Tensor {
	ref, err := safetensors.Open(goldenDir + "model.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	var ts []Tensor
	for _, n := range ref.Names() {
		info, _ := ref.Info(n)
		b, _ := ref.Bytes(n)
		ts = append(ts, Tensor{Name: n, DType: string(info.DType), Shape: info.Shape, Data: bytes.Clone(b)})
	}
	ts = append(ts,
		Tensor{Name: "cls.predictions.decoder.weight", DType: "F32", Shape: []int{512, 64}, TiedTo: "bert.embeddings.word_embeddings.weight"},
		Tensor{Name: "cls.predictions.decoder.bias", DType: "F32", Shape: []int{512}, TiedTo: "cls.predictions.bias"})
	return ts
}

func TestWriteRoundTrip(t *testing.T) {
	for _, format := range []string{"zip", "legacy"} {
		path := filepath.Join(t.TempDir(), "pytorch_model.bin")
		write := WriteZip
		if format == "legacy" {
			write = WriteLegacy
		}
		if err := write(path, goldenTensors(t)); err != nil {
			t.Fatal(err)
		}
		f, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		if f.Format() != format || len(f.Names()) != 50 {
			t.Errorf("%s: format %s, %d names", format, f.Format(), len(f.Names()))
		}
		checkAgainstSafetensors(t, f)
		checkTied(t, f)
		f.Close()
	}
	bad := []Tensor{{Name: "a", DType: "F32", Shape: []int{2}, Data: make([]byte, 4)}}
	if err := WriteZip(filepath.Join(t.TempDir(), "x.bin"), bad); err == nil {
		t.Error("short data accepted")
	}
	bad = []Tensor{{Name: "a", DType: "F32", Shape: []int{1}, TiedTo: "b"}}
	if err := WriteLegacy(filepath.Join(t.TempDir(), "x.bin"), bad); err == nil {
		t.Error("tie to a later tensor accepted")
	}
}

// Records start on 64-byte boundaries, as in torch's writer.
func TestZipAlignment(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.bin")
	if err := WriteZip(path, goldenTensors(t)[:5]); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	if len(zr.File) != 8 {
		t.Fatalf("%d records, want data.pkl, byteorder, 5 storages, version", len(zr.File))
	}
	for _, zf := range zr.File {
		off, err := zf.DataOffset()
		if err != nil || off%64 != 0 || zf.Method != zip.Store {
			t.Errorf("%s: data offset %d (method %d, err %v)", zf.Name, off, zf.Method, err)
		}
	}
}
