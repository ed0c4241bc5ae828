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
// state_dict pickles and hostile variants.
func FuzzUnpickle(f *testing.F) {
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
// both readers, then reads every tensor that validated.
func FuzzOpen(f *testing.F) {
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
