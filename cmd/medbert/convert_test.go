package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/medbert/medbert/safetensors"
)

// modelDir makes a model folder holding config.json and the given golden
// weight file under the name a Hugging Face folder would use.
func modelDir(t *testing.T, golden, as string) string {
	t.Helper()
	dir := t.TempDir()
	for src, dst := range map[string]string{golden: as, "config.json": "config.json"} {
		b, err := os.ReadFile(filepath.Join(tinyDir, src))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, dst), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// sameTensors requires got to hold exactly want's tensors, byte for byte.
func sameTensors(t *testing.T, gotPath, wantPath string) {
	t.Helper()
	got, want := openST(t, gotPath), openST(t, wantPath)
	if !slices.Equal(got.Names(), want.Names()) {
		t.Fatalf("names differ:\n got %v\nwant %v", got.Names(), want.Names())
	}
	for _, n := range want.Names() {
		gi, _ := got.Info(n)
		wi, _ := want.Info(n)
		gb, _ := got.Bytes(n)
		wb, _ := want.Bytes(n)
		if gi.DType != wi.DType || !slices.Equal(gi.Shape, wi.Shape) || !bytes.Equal(gb, wb) {
			t.Errorf("%s: got %s %v, want %s %v (bytes equal: %v)", n, gi.DType, gi.Shape, wi.DType, wi.Shape, bytes.Equal(gb, wb))
		}
	}
	if got.Metadata()["format"] != "pt" {
		t.Errorf("metadata %v lacks format=pt", got.Metadata())
	}
}

func TestConvertGolden(t *testing.T) {
	cases := []struct {
		name, golden, as, dtype, want string
		notes                         []string
	}{
		{"zip f32", "pytorch_model.bin", "pytorch_model.bin", "f32", "model.safetensors",
			[]string{"dropped cls.predictions.decoder.weight: tied to bert.embeddings.word_embeddings.weight", "dropped cls.predictions.decoder.bias: tied to cls.predictions.bias"}},
		{"legacy f32", "pytorch_model_legacy.bin", "pytorch_model.bin", "f32", "model.safetensors",
			[]string{"dropped buffer bert.embeddings.position_ids", "renamed 12 legacy LayerNorm keys", "tied to bert.embeddings.word_embeddings.weight"}},
		{"zip f16", "pytorch_model.bin", "pytorch_model.bin", "f16", "model_fp16.safetensors", nil},
		{"legacy bf16", "pytorch_model_legacy.bin", "pytorch_model.bin", "bf16", "model_bf16.safetensors", nil},
		{"safetensors f16", "model.safetensors", "model.safetensors", "f16", "model_fp16.safetensors", nil},
		{"safetensors bf16", "model.safetensors", "model.safetensors", "bf16", "model_bf16.safetensors", nil},
		{"f16 back to f32", "model_fp16.safetensors", "model.safetensors", "f32", "", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := modelDir(t, c.golden, c.as)
			out := filepath.Join(t.TempDir(), "converted")
			code, stdout, stderr := medbert(t, "convert", "--model", in, "--output", out, "--dtype", c.dtype)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			for _, n := range c.notes {
				if !strings.Contains(stdout, n) {
					t.Errorf("summary lacks %q:\n%s", n, stdout)
				}
			}
			if c.want != "" {
				sameTensors(t, filepath.Join(out, "model.safetensors"), filepath.Join(tinyDir, c.want))
			} else {
				// F16 -> F32 widening is exact: values equal the F16 file's.
				got, want := openST(t, filepath.Join(out, "model.safetensors")), openST(t, filepath.Join(tinyDir, c.golden))
				for _, n := range want.Names() {
					g, _ := f32(t, got, n)
					w, _ := f32(t, want, n)
					if info, _ := got.Info(n); info.DType != "F32" || !slices.Equal(g, w) {
						t.Fatalf("%s: %s, values equal %v", n, info.DType, slices.Equal(g, w))
					}
				}
			}
			cfg, _ := os.ReadFile(filepath.Join(out, "config.json"))
			orig, _ := os.ReadFile(filepath.Join(tinyDir, "config.json"))
			if !bytes.Equal(cfg, orig) {
				t.Error("config.json not copied verbatim")
			}
		})
	}
}

func TestConvertRefusals(t *testing.T) {
	in := modelDir(t, "pytorch_model.bin", "pytorch_model.bin")
	out := filepath.Join(t.TempDir(), "o")
	for name, args := range map[string][]string{
		"same folder":      {"--model", in, "--output", in},
		"same via dot":     {"--model", in, "--output", in + "/."},
		"bad dtype":        {"--model", in, "--output", out, "--dtype", "int8"},
		"missing output":   {"--model", in},
		"missing model":    {"--model", filepath.Join(in, "nope"), "--output", out},
		"no weights":       {"--model", t.TempDir(), "--output", out},
		"stray positional": {"--model", in, "--output", out, "extra"},
	} {
		if code, _, stderr := medbert(t, append([]string{"convert"}, args...)...); code == 0 {
			t.Errorf("%s: accepted", name)
		} else if stderr == "" {
			t.Errorf("%s: no error message", name)
		}
	}
	if _, err := os.Stat(filepath.Join(in, "model.safetensors")); err == nil {
		t.Fatal("input folder was written to")
	}
	if code, _, stderr := medbert(t, "convert", "--model", in, "--output", out); code != 0 {
		t.Fatal(stderr)
	}
	if code, _, stderr := medbert(t, "convert", "--model", in, "--output", out); code == 0 || !strings.Contains(stderr, "--force") {
		t.Errorf("overwrite without --force: exit %d %s", code, stderr)
	}
	if code, _, stderr := medbert(t, "convert", "--model", in, "--output", out, "--force", "--dtype", "bf16"); code != 0 {
		t.Fatal(stderr)
	}
	if f := openST(t, filepath.Join(out, "model.safetensors")); f.Names() == nil {
		t.Fatal("no tensors")
	} else if info, _ := f.Info("classifier.weight"); info.DType != safetensors.DTypeBF16 {
		t.Errorf("--force did not replace the file: %s", info.DType)
	}
	code, _, stderr := medbert(t, "convert", "--help")
	if code != 0 || !strings.Contains(stderr, "without executing any pickle") || !strings.Contains(stderr, "--dtype") {
		t.Errorf("--help: exit %d\n%s", code, stderr)
	}
}

// TestConvertF16Overflow: a weight beyond float16's range is refused for
// --dtype f16 (it would become inf), naming the tensor; bf16 takes it, and
// 65519 (which rounds to 65504, not inf) passes.
func TestConvertF16Overflow(t *testing.T) {
	for _, c := range []struct {
		v      float32
		dtype  string
		ok     bool
		stored float32
	}{{70000, "f16", false, 0}, {70000, "bf16", true, 70144}, {65519, "f16", true, 65504}, {-1e6, "f16", false, 0}} {
		in := t.TempDir()
		b, _ := os.ReadFile(filepath.Join(tinyDir, "config.json"))
		os.WriteFile(filepath.Join(in, "config.json"), b, 0o644)
		if err := safetensors.Write(filepath.Join(in, "model.safetensors"), []safetensors.Tensor{
			safetensors.F32("bert.pooler.dense.bias", []int{3}, []float32{1, c.v, 2})}, nil); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(t.TempDir(), "out")
		code, _, stderr := medbert(t, "convert", "--model", in, "--output", out, "--dtype", c.dtype)
		if !c.ok {
			if code == 0 || !strings.Contains(stderr, `"bert.pooler.dense.bias"`) || !strings.Contains(stderr, "overflow float16") {
				t.Errorf("%g %s: exit %d %q", c.v, c.dtype, code, stderr)
			}
			if _, err := os.Stat(filepath.Join(out, "model.safetensors")); err == nil {
				t.Errorf("%g %s: wrote an output anyway", c.v, c.dtype)
			}
			continue
		}
		if code != 0 {
			t.Fatalf("%g %s: exit %d %s", c.v, c.dtype, code, stderr)
		}
		got, _ := f32(t, openST(t, filepath.Join(out, "model.safetensors")), "bert.pooler.dense.bias")
		if got[1] != c.stored {
			t.Errorf("%g %s: stored %g, want %g", c.v, c.dtype, got[1], c.stored)
		}
	}
}
