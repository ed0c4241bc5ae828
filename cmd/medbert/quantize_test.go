package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// quantize the tiny golden model, then run forward on the int8 folder: its
// seq-cls logits must be within the golden int8 budget of fp32.
func TestQuantizeCLI(t *testing.T) {
	out := t.TempDir()
	code, stdout, stderr := medbert(t, "quantize", "--model", tinyDir, "--output", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "per_channel") || !strings.Contains(stdout, "wrote") {
		t.Errorf("stdout %q", stdout)
	}
	cfg, err := os.ReadFile(filepath.Join(out, "config.json"))
	if err != nil || !strings.Contains(string(cfg), `"quantization_config"`) {
		t.Fatalf("config.json without quantization_config: %v", err)
	}
	res := filepath.Join(t.TempDir(), "res.safetensors")
	code, _, stderr = medbert(t, "forward", "--model", out, "--inputs", filepath.Join(tinyDir, "inputs.safetensors"), "--output", res)
	if code != 0 {
		t.Fatalf("forward on int8 folder: exit %d: %s", code, stderr)
	}
	compare(t, openST(t, res), "logits", openST(t, filepath.Join(tinyDir, "int8_seqcls.safetensors")), "fp32_seqcls_logits", 5*4.38e-4)

	// Refusals: existing output without --force, int8 input, missing flags.
	if code, _, stderr := medbert(t, "quantize", "--model", tinyDir, "--output", out); code == 0 || !strings.Contains(stderr, "--force") {
		t.Errorf("overwrite without --force: exit %d %q", code, stderr)
	}
	if code, _, stderr := medbert(t, "quantize", "--model", out, "--output", t.TempDir()); code == 0 || !strings.Contains(stderr, "already an int8") {
		t.Errorf("int8 input: exit %d %q", code, stderr)
	}
	if code, _, _ := medbert(t, "quantize", "--model", tinyDir); code == 0 {
		t.Error("missing --output accepted")
	}
}
