package safetensors

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// FuzzParse: Parse never panics, and whatever it accepts is self-consistent
// and survives Encode -> Parse unchanged. The seed corpus (golden files,
// hand-made edge cases, testdata/fuzz/FuzzParse) runs on every `go test`.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"inputs.safetensors", "int8_seqcls.safetensors"} {
		b, err := os.ReadFile(filepath.Join(goldenDir, name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(mk(`{}`, nil))
	f.Add(mk(`{"__metadata__":{"a":"b"},"x":{"dtype":"BF16","shape":[2,1],"data_offsets":[0,4]}}`, []byte{1, 2, 3, 4}))
	f.Add(mk(`{"a":{"dtype":"F16","shape":[1],"data_offsets":[0,2]},"b":{"dtype":"I8","shape":[2],"data_offsets":[2,4]}}`, []byte{0, 0x7c, 1, 0xff}))
	f.Add(mk(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}`, make([]byte, 4)))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, '{', '}'})
	f.Fuzz(func(t *testing.T, buf []byte) {
		file, err := Parse(buf, "fuzz")
		if err != nil {
			return
		}
		var ts []Tensor
		for _, n := range file.Names() {
			info, ok := file.Info(n)
			b, err := file.Bytes(n)
			if !ok || err != nil || int64(len(b)) != info.End-info.Begin || len(b) != info.NumElements()*info.DType.Size() {
				t.Fatalf("%q: inconsistent %+v %d %v", n, info, len(b), err)
			}
			if _, _, err := file.Float32(n); err != nil {
				if _, _, err2 := file.Int64(n); err2 != nil && info.DType != DTypeU64 {
					t.Fatalf("%q (%s): neither Float32 nor Int64: %v / %v", n, info.DType, err, err2)
				}
			}
			ts = append(ts, Tensor{Name: n, DType: info.DType, Shape: info.Shape, Data: b})
		}
		var out bytes.Buffer
		if err := Encode(&out, ts, file.Metadata()); err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		again, err := Parse(out.Bytes(), "re-encoded")
		if err != nil {
			t.Fatalf("re-encoded file rejected: %v", err)
		}
		if !slices.Equal(again.Names(), file.Names()) {
			t.Fatalf("names changed")
		}
		for _, tt := range ts {
			b, _ := again.Bytes(tt.Name)
			if !bytes.Equal(b, tt.Data) {
				t.Fatalf("%q: data changed", tt.Name)
			}
		}
		// Our output is canonical: encoding it again is a fixed point.
		var out2 bytes.Buffer
		var ts2 []Tensor
		for _, n := range again.Names() {
			info, _ := again.Info(n)
			b, _ := again.Bytes(n)
			ts2 = append(ts2, Tensor{Name: n, DType: info.DType, Shape: info.Shape, Data: b})
		}
		Encode(&out2, ts2, again.Metadata())
		if !bytes.Equal(out.Bytes(), out2.Bytes()) {
			t.Fatalf("encoding not canonical")
		}
	})
}
