package torchfile

import (
	"bytes"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/medbert/medbert/safetensors"
)

const goldenDir = "../testdata/golden/tiny/"

// checkAgainstSafetensors asserts that every tensor of model.safetensors is
// present in f (after ModernName mapping) with identical shape and bits.
func checkAgainstSafetensors(t *testing.T, f *File) {
	t.Helper()
	ref, err := safetensors.Open(goldenDir + "model.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	byModern := map[string]string{}
	for _, n := range f.Names() {
		byModern[ModernName(n)] = n
	}
	for _, name := range ref.Names() {
		src, ok := byModern[name]
		if !ok {
			t.Errorf("tensor %q missing", name)
			continue
		}
		want, wshape, err := ref.Float32(name)
		if err != nil {
			t.Fatal(err)
		}
		got, gshape, err := f.Float32(src)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		if !slices.Equal(gshape, wshape) {
			t.Errorf("%s: shape %v, want %v", name, gshape, wshape)
			continue
		}
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Errorf("%s[%d] = %v, want %v", name, i, got[i], want[i])
				break
			}
		}
		// Raw must give the same little-endian bytes as the reference.
		dt, _, raw, err := f.Raw(src)
		if err != nil || dt != "F32" {
			t.Fatalf("%s: Raw dtype %s err %v", src, dt, err)
		}
		wantRaw, _ := ref.Bytes(name)
		if !bytes.Equal(raw, wantRaw) {
			t.Errorf("%s: Raw bytes differ", name)
		}
	}
}

func TestGoldenZip(t *testing.T) {
	f, err := Open(goldenDir + "pytorch_model.bin")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Format() != "zip" || len(f.Names()) != 50 {
		t.Fatalf("format %s, %d names; want zip, 50", f.Format(), len(f.Names()))
	}
	if n := f.Names()[0]; n != "bert.embeddings.word_embeddings.weight" {
		t.Errorf("first key %q: file order not kept", n)
	}
	checkAgainstSafetensors(t, f)
	checkTied(t, f)
	info, _ := f.Info("bert.embeddings.word_embeddings.weight")
	if info.DType != "F32" || !slices.Equal(info.Shape, []int{512, 64}) || !slices.Equal(info.Strides, []int64{64, 1}) {
		t.Errorf("Info = %+v", info)
	}
	if _, _, err := f.Int64("classifier.bias"); err == nil {
		t.Error("Int64 of an F32 tensor should fail")
	}
}

func checkTied(t *testing.T, f *File) {
	t.Helper()
	for alias, orig := range map[string]string{
		"cls.predictions.decoder.weight": "bert.embeddings.word_embeddings.weight",
		"cls.predictions.decoder.bias":   "cls.predictions.bias",
	} {
		got, ok := f.Alias(alias)
		if !ok || got != orig {
			t.Errorf("Alias(%q) = %q, %v; want %q", alias, got, ok, orig)
		}
		a, _, _ := f.Float32(alias)
		b, _, _ := f.Float32(orig)
		if !slices.Equal(a, b) {
			t.Errorf("%s differs from %s", alias, orig)
		}
	}
	if a, ok := f.Alias("bert.embeddings.word_embeddings.weight"); ok {
		t.Errorf("word embeddings reported as alias of %q", a)
	}
}

func TestGoldenLegacy(t *testing.T) {
	f, err := Open(goldenDir + "pytorch_model_legacy.bin")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Format() != "legacy" || len(f.Names()) != 51 {
		t.Fatalf("format %s, %d names; want legacy, 51", f.Format(), len(f.Names()))
	}
	gammas := 0
	for _, n := range f.Names() {
		if strings.HasSuffix(n, "LayerNorm.gamma") {
			gammas++
		}
	}
	if gammas != 6 {
		t.Errorf("%d LayerNorm.gamma keys, want 6 (names must be kept as stored)", gammas)
	}
	checkAgainstSafetensors(t, f)
	checkTied(t, f)
	ids, shape, err := f.Int64("bert.embeddings.position_ids")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(shape, []int{1, 64}) || ids[0] != 0 || ids[63] != 63 {
		t.Errorf("position_ids shape %v values %v..%v", shape, ids[0], ids[63])
	}
	if info, _ := f.Info("bert.embeddings.position_ids"); info.DType != "I64" {
		t.Errorf("position_ids dtype %s", info.DType)
	}
	if _, _, err := f.Float32("bert.embeddings.position_ids"); err == nil {
		t.Error("Float32 of an I64 tensor should fail")
	}
}
