package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medbert/medbert/safetensors"
	"github.com/medbert/medbert/torchfile"
)

// TestConvertSharded: `convert` on a sharded folder (three safetensors
// shards + model.safetensors.index.json, or three torch .bin shards +
// pytorch_model.bin.index.json, as transformers' save_pretrained writes
// for large models) gives one model.safetensors byte-identical to the
// golden unsharded file, and forward on the sharded folder works too.
func TestConvertSharded(t *testing.T) {
	src := openST(t, filepath.Join(tinyDir, "model.safetensors"))
	for _, kind := range []string{"safetensors", "zip-bin", "legacy-bin"} {
		t.Run(kind, func(t *testing.T) {
			in := t.TempDir()
			b, err := os.ReadFile(filepath.Join(tinyDir, "config.json"))
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(in, "config.json"), b, 0o644)
			const n = 3
			shardName := func(i int) string {
				if kind == "safetensors" {
					return fmt.Sprintf("model-%05d-of-%05d.safetensors", i+1, n)
				}
				return fmt.Sprintf("pytorch_model-%05d-of-%05d.bin", i+1, n)
			}
			wm := map[string]string{}
			var st [n][]safetensors.Tensor
			var tt [n][]torchfile.Tensor
			for i, name := range src.Names() {
				info, _ := src.Info(name)
				raw, _ := src.Bytes(name)
				wm[name] = shardName(i % n)
				st[i%n] = append(st[i%n], safetensors.Tensor{Name: name, DType: info.DType, Shape: info.Shape, Data: raw})
				tt[i%n] = append(tt[i%n], torchfile.Tensor{Name: name, DType: string(info.DType), Shape: info.Shape, Data: raw})
			}
			index := "model.safetensors.index.json"
			for i := 0; i < n; i++ {
				p := filepath.Join(in, shardName(i))
				switch kind {
				case "safetensors":
					err = safetensors.Write(p, st[i], map[string]string{"format": "pt"})
				case "zip-bin":
					err = torchfile.WriteZip(p, tt[i])
				default:
					err = torchfile.WriteLegacy(p, tt[i])
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			if kind != "safetensors" {
				index = "pytorch_model.bin.index.json"
			}
			idx, _ := json.Marshal(map[string]any{"metadata": map[string]any{"total_size": 0}, "weight_map": wm})
			os.WriteFile(filepath.Join(in, index), idx, 0o644)

			code, stdout, stderr := medbert(t, "inspect", "--no-tensors", in)
			if code != 0 || !strings.Contains(stdout, index) || !strings.Contains(stdout, "in 48 tensors") {
				t.Fatalf("inspect sharded: exit %d\n%s%s", code, stdout, stderr)
			}
			out := filepath.Join(t.TempDir(), "out")
			if code, stdout, stderr := medbert(t, "convert", "--model", in, "--output", out); code != 0 {
				t.Fatalf("convert sharded: exit %d\n%s%s", code, stdout, stderr)
			}
			sameTensors(t, filepath.Join(out, "model.safetensors"), filepath.Join(tinyDir, "model.safetensors"))
			if ents, _ := os.ReadDir(out); len(ents) != 2 {
				t.Errorf("output holds %v, want config.json and model.safetensors only", ents)
			}

			fwd := filepath.Join(t.TempDir(), "fwd.safetensors")
			if code, _, stderr := medbert(t, "forward", "--model", in, "--inputs", filepath.Join(tinyDir, "inputs.safetensors"), "--output", fwd); code != 0 {
				t.Fatalf("forward sharded: exit %d %s", code, stderr)
			}
			compare(t, openST(t, fwd), "logits", openST(t, filepath.Join(tinyDir, "expected.safetensors")), "seqcls_logits", 1e-5)
		})
	}
}
