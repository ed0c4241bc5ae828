package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medbert/medbert/safetensors"
	"github.com/medbert/medbert/torchfile"
)

// Config values from the published model folders' config.json
// (dmis-lab/biobert-base-cased-v1.1 and emilyalsentzer/Bio_ClinicalBERT;
// both are bert-base-cased shaped with the cased 28996-entry vocabulary).
const publishedConfig = `{
  "architectures": ["BertForPreTraining"],
  "attention_probs_dropout_prob": 0.1,
  "hidden_act": "gelu",
  "hidden_dropout_prob": 0.1,
  "hidden_size": %d,
  "initializer_range": 0.02,
  "intermediate_size": %d,
  "layer_norm_eps": 1e-12,
  "max_position_embeddings": 512,
  "model_type": "bert",
  "num_attention_heads": %d,
  "num_hidden_layers": %d,
  "pad_token_id": 0,
  "type_vocab_size": 2,
  "vocab_size": 28996
}
`

// publishedDims are the real sizes with MEDBERT_FULLSIZE=1 (108M
// parameters, ~430 MB per file), else a small model with the same vocab
// and key layout so the default test stays fast.
func publishedDims() (hidden, inter, heads, layers int) {
	if os.Getenv("MEDBERT_FULLSIZE") == "1" {
		return 768, 3072, 12, 12
	}
	return 64, 128, 4, 2
}

// pretrainingTensors builds random BertForPreTraining weights with the
// published key names. legacy switches to the pre-2019 spelling that
// Bio_ClinicalBERT's file uses (LayerNorm.gamma/beta) and adds the
// position_ids buffer; both variants tie the MLM decoder to the word
// embeddings by sharing storage, as torch.save does.
func pretrainingTensors(legacy bool, seed uint64) []torchfile.Tensor {
	hidden, inter, _, layers := publishedDims()
	const vocab, maxPos = 28996, 512
	rng := rand.New(rand.NewPCG(seed, 1))
	var ts []torchfile.Tensor
	add := func(name string, shape ...int) {
		n := 1
		for _, d := range shape {
			n *= d
		}
		b := make([]byte, 4*n)
		for i := 0; i < n; i++ {
			v := float32(rng.NormFloat64() * 0.02)
			if strings.Contains(name, "LayerNorm.weight") {
				v += 1
			}
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
		}
		if legacy {
			name = strings.Replace(strings.Replace(name, "LayerNorm.weight", "LayerNorm.gamma", 1), "LayerNorm.bias", "LayerNorm.beta", 1)
		}
		ts = append(ts, torchfile.Tensor{Name: name, DType: "F32", Shape: shape, Data: b})
	}
	lin := func(prefix string, out, in int) { add(prefix+".weight", out, in); add(prefix+".bias", out) }
	ln := func(prefix string) { add(prefix+".weight", hidden); add(prefix+".bias", hidden) }
	add("bert.embeddings.word_embeddings.weight", vocab, hidden)
	add("bert.embeddings.position_embeddings.weight", maxPos, hidden)
	add("bert.embeddings.token_type_embeddings.weight", 2, hidden)
	ln("bert.embeddings.LayerNorm")
	for l := 0; l < layers; l++ {
		p := fmt.Sprintf("bert.encoder.layer.%d.", l)
		lin(p+"attention.self.query", hidden, hidden)
		lin(p+"attention.self.key", hidden, hidden)
		lin(p+"attention.self.value", hidden, hidden)
		lin(p+"attention.output.dense", hidden, hidden)
		ln(p + "attention.output.LayerNorm")
		lin(p+"intermediate.dense", inter, hidden)
		lin(p+"output.dense", hidden, inter)
		ln(p + "output.LayerNorm")
	}
	lin("bert.pooler.dense", hidden, hidden)
	add("cls.predictions.bias", vocab)
	lin("cls.predictions.transform.dense", hidden, hidden)
	ln("cls.predictions.transform.LayerNorm")
	ts = append(ts,
		torchfile.Tensor{Name: "cls.predictions.decoder.weight", DType: "F32", Shape: []int{vocab, hidden}, TiedTo: "bert.embeddings.word_embeddings.weight"},
		torchfile.Tensor{Name: "cls.predictions.decoder.bias", DType: "F32", Shape: []int{vocab}, TiedTo: "cls.predictions.bias"})
	lin("cls.seq_relationship", 2, hidden)
	if legacy {
		ids := make([]byte, 8*maxPos)
		for i := 0; i < maxPos; i++ {
			binary.LittleEndian.PutUint64(ids[8*i:], uint64(i))
		}
		ts = append(ts, torchfile.Tensor{Name: "bert.embeddings.position_ids", DType: "I64", Shape: []int{1, maxPos}, Data: ids})
	}
	return ts
}

// publishedFolder lays out a folder like the published ones: config.json,
// vocab.txt, tokenizer_config.json and pytorch_model.bin (zip for BioBERT,
// legacy for Bio_ClinicalBERT).
func publishedFolder(t *testing.T, legacy bool) string {
	t.Helper()
	dir := t.TempDir()
	hidden, inter, heads, layers := publishedDims()
	files := map[string]string{
		"config.json":           fmt.Sprintf(publishedConfig, hidden, inter, heads, layers),
		"tokenizer_config.json": `{"do_lower_case": false, "model_max_length": 512}`,
	}
	vocab, err := os.ReadFile("../../testdata/vocab/bert-base-cased-vocab.txt")
	if err != nil {
		t.Fatal(err)
	}
	files["vocab.txt"] = string(vocab)
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write := torchfile.WriteZip
	if legacy {
		write = torchfile.WriteLegacy
	}
	if err := write(filepath.Join(dir, "pytorch_model.bin"), pretrainingTensors(legacy, 7)); err != nil {
		t.Fatal(err)
	}
	return dir
}

// tokenizeToInputs runs `medbert tokenize` on text and writes the ids as a
// forward inputs file.
func tokenizeToInputs(t *testing.T, dir, text string) string {
	t.Helper()
	code, stdout, stderr := medbert(t, "tokenize", "--model", dir, text)
	if code != 0 {
		t.Fatalf("tokenize: exit %d: %s", code, stderr)
	}
	var enc struct {
		Tokens []string `json:"tokens"`
		IDs    []int64  `json:"ids"`
	}
	if err := json.Unmarshal([]byte(strings.TrimSpace(stdout)), &enc); err != nil {
		t.Fatalf("tokenize output %q: %v", stdout, err)
	}
	if len(enc.IDs) < 5 || enc.Tokens[0] != "[CLS]" || !strings.Contains(strings.Join(enc.Tokens, " "), "##") {
		t.Fatalf("unexpected tokenization %v", enc.Tokens)
	}
	p := filepath.Join(t.TempDir(), "inputs.safetensors")
	mask := make([]int64, len(enc.IDs))
	for i := range mask {
		mask[i] = 1
	}
	n := []int{1, len(enc.IDs)}
	if err := safetensors.Write(p, []safetensors.Tensor{safetensors.I64("input_ids", n, enc.IDs), safetensors.I64("attention_mask", n, mask)}, nil); err != nil {
		t.Fatal(err)
	}
	return p
}

// forwardBytes runs `medbert forward --head mlm` and returns every output
// tensor's bytes by name.
func forwardBytes(t *testing.T, dir, inputs string) map[string][]byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), "out.safetensors")
	if code, _, stderr := medbert(t, "forward", "--model", dir, "--inputs", inputs, "--output", out, "--head", "mlm"); code != 0 {
		t.Fatalf("forward on %s: exit %d: %s", dir, code, stderr)
	}
	f := openST(t, out)
	res := map[string][]byte{}
	for _, n := range f.Names() {
		b, _ := f.Bytes(n)
		res[n] = bytes.Clone(b)
	}
	if _, ok := res["logits"]; !ok {
		t.Fatalf("forward wrote %v, no logits", f.Names())
	}
	return res
}

func sameOutputs(t *testing.T, what string, a, b map[string][]byte) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%s: %d vs %d outputs", what, len(a), len(b))
	}
	for n, x := range a {
		if !bytes.Equal(x, b[n]) {
			t.Errorf("%s: output %s differs", what, n)
		}
	}
}

// TestPublishedLayouts: folders shaped like BioBERT v1.1 (zip .bin) and
// Bio_ClinicalBERT (legacy .bin, gamma/beta, position_ids) with the same
// random weights inspect, tokenize and run forward straight from the .bin;
// both give bit-identical outputs, and so do their converted safetensors
// folders.
func TestPublishedLayouts(t *testing.T) {
	biobert := publishedFolder(t, false)
	clinical := publishedFolder(t, true)
	text := "Pt c/o SOB; hx of T2DM and CHF, started on metoprolol 25mg."
	inputs := tokenizeToInputs(t, biobert, text)

	for _, dir := range []string{biobert, clinical} {
		code, stdout, stderr := medbert(t, "inspect", "--no-tensors", dir)
		if code != 0 || !strings.Contains(stdout, "pytorch_model.bin") {
			t.Fatalf("inspect %s: exit %d\n%s%s", dir, code, stdout, stderr)
		}
	}
	ref := forwardBytes(t, biobert, inputs)
	sameOutputs(t, "Bio_ClinicalBERT-style legacy .bin vs BioBERT-style zip .bin", ref, forwardBytes(t, clinical, inputs))

	for name, dir := range map[string]string{"zip": biobert, "legacy": clinical} {
		out := filepath.Join(t.TempDir(), name+"-safetensors")
		code, stdout, stderr := medbert(t, "convert", "--model", dir, "--output", out)
		if code != 0 {
			t.Fatalf("convert %s: %s", name, stderr)
		}
		if !strings.Contains(stdout, "dropped cls.predictions.decoder.weight") {
			t.Errorf("convert %s summary:\n%s", name, stdout)
		}
		for _, f := range []string{"config.json", "vocab.txt", "tokenizer_config.json"} {
			if _, err := os.Stat(filepath.Join(out, f)); err != nil {
				t.Errorf("convert %s did not copy %s", name, f)
			}
		}
		if _, err := os.Stat(filepath.Join(out, "pytorch_model.bin")); err == nil {
			t.Errorf("convert %s copied the .bin", name)
		}
		sameOutputs(t, "converted "+name, ref, forwardBytes(t, out, inputs))
	}
}
