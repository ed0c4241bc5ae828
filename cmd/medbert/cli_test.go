package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/medbert/medbert/bert"
	"github.com/medbert/medbert/safetensors"
)

const tinyDir = "../../testdata/golden/tiny"

// medbert runs the CLI in-process and returns exit code, stdout, stderr.
func medbert(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func openST(t *testing.T, path string) *safetensors.File {
	t.Helper()
	f, err := safetensors.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func f32(t *testing.T, f *safetensors.File, name string) ([]float32, []int) {
	t.Helper()
	d, s, err := f.Float32(name)
	if err != nil {
		t.Fatal(err)
	}
	return d, s
}

// compare checks a written tensor against a golden one within tol.
func compare(t *testing.T, got *safetensors.File, gotName string, exp *safetensors.File, expName string, tol float64) {
	t.Helper()
	g, gs := f32(t, got, gotName)
	e, es := f32(t, exp, expName)
	if !slices.Equal(gs, es) {
		t.Fatalf("%s: shape %v, golden %s %v", gotName, gs, expName, es)
	}
	var d float64
	for i := range g {
		d = math.Max(d, math.Abs(float64(g[i])-float64(e[i])))
	}
	t.Logf("%-16s vs %-20s max abs diff %.3g", gotName, expName, d)
	if !(d <= tol) {
		t.Errorf("%s: max abs diff %.3g > %g", gotName, d, tol)
	}
}

func TestForwardCLIMatchesGoldens(t *testing.T) {
	exp := openST(t, filepath.Join(tinyDir, "expected.safetensors"))
	inputs := filepath.Join(tinyDir, "inputs.safetensors")
	for _, c := range []struct {
		head   string
		logits map[string]string // written name -> golden name
		pooled bool
	}{
		{"", map[string]string{"logits": "seqcls_logits"}, true}, // default from architectures
		{"base", nil, true},
		{"tokencls", map[string]string{"logits": "tokencls_logits"}, false},
		{"qa", map[string]string{"start_logits": "qa_start_logits", "end_logits": "qa_end_logits"}, false},
		{"mlm", map[string]string{"logits": "mlm_logits"}, false},
	} {
		t.Run("head="+c.head, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out.safetensors")
			args := []string{"forward", "--model", tinyDir, "--inputs", inputs, "--output", out}
			if c.head != "" {
				args = append(args, "--head", c.head)
			}
			code, stdout, stderr := medbert(t, args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if !strings.Contains(stdout, "batch 3, seq 16") {
				t.Errorf("stdout %q", stdout)
			}
			got := openST(t, out)
			want := 3 + len(c.logits)
			if c.pooled {
				want++
				compare(t, got, "pooled_output", exp, "pooled_output", 1e-5)
			}
			if n := len(got.Names()); n != want {
				t.Errorf("wrote %d tensors %v, want %d", n, got.Names(), want)
			}
			for i := 0; i <= 2; i++ {
				compare(t, got, "hidden_states."+strconv.Itoa(i), exp, "hidden_states."+strconv.Itoa(i), 1e-5)
			}
			for g, e := range c.logits {
				compare(t, got, g, exp, e, 1e-5)
			}
		})
	}
}

// writeIDs writes an inputs file with input_ids of the given dtype.
func writeIDs(t *testing.T, dtype string, ids [][]int64, extra ...safetensors.Tensor) string {
	t.Helper()
	b, s := len(ids), len(ids[0])
	size := 8
	if dtype == "I32" {
		size = 4
	}
	data := make([]byte, 0, b*s*size)
	for _, row := range ids {
		for _, v := range row {
			if size == 8 {
				data = binary.LittleEndian.AppendUint64(data, uint64(v))
			} else {
				data = binary.LittleEndian.AppendUint32(data, uint32(int32(v)))
			}
		}
	}
	p := filepath.Join(t.TempDir(), "in.safetensors")
	ts := append([]safetensors.Tensor{{Name: "input_ids", DType: safetensors.DType(dtype), Shape: []int{b, s}, Data: data}}, extra...)
	if err := safetensors.Write(p, ts, nil); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestForwardCLII32AndNoMask(t *testing.T) {
	// The golden input_ids as I32 without mask and segments: the nomask goldens.
	in := openST(t, filepath.Join(tinyDir, "inputs.safetensors"))
	v, _, err := in.Int64("input_ids")
	if err != nil {
		t.Fatal(err)
	}
	rows := [][]int64{v[:16], v[16:32], v[32:]}
	p := writeIDs(t, "I32", rows)
	out := filepath.Join(t.TempDir(), "out.safetensors")
	if code, _, stderr := medbert(t, "forward", "--model", tinyDir, "--inputs", p, "--output", out); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	exp := openST(t, filepath.Join(tinyDir, "expected.safetensors"))
	got := openST(t, out)
	compare(t, got, "hidden_states.2", exp, "nomask.last_hidden_state", 1e-5)
	compare(t, got, "pooled_output", exp, "nomask.pooled_output", 1e-5)
	compare(t, got, "logits", exp, "nomask.seqcls_logits", 1e-5)
}

func TestForwardCLIErrors(t *testing.T) {
	good := writeIDs(t, "I64", [][]int64{{101, 7, 102}})
	oov := writeIDs(t, "I64", [][]int64{{101, 512, 102}})
	long := writeIDs(t, "I64", [][]int64{make([]int64, 65)})
	floatIDs := filepath.Join(t.TempDir(), "f.safetensors")
	safetensors.Write(floatIDs, []safetensors.Tensor{safetensors.F32("input_ids", []int{1, 2}, []float32{1, 2})}, nil)
	noIDs := filepath.Join(t.TempDir(), "n.safetensors")
	safetensors.Write(noIDs, []safetensors.Tensor{safetensors.I64("ids", []int{1, 2}, []int64{1, 2})}, nil)
	badMask := writeIDs(t, "I64", [][]int64{{101, 7, 102}}, safetensors.I64("attention_mask", []int{1, 2}, []int64{1, 1}))
	oneD := filepath.Join(t.TempDir(), "1d.safetensors")
	safetensors.Write(oneD, []safetensors.Tensor{safetensors.I64("input_ids", []int{3}, []int64{1, 2, 3})}, nil)
	corrupt := t.TempDir()
	os.WriteFile(filepath.Join(corrupt, "config.json"), []byte(`{"hidden_size": 64`), 0o644)
	noWeights := t.TempDir()
	b, _ := os.ReadFile(filepath.Join(tinyDir, "config.json"))
	os.WriteFile(filepath.Join(noWeights, "config.json"), b, 0o644)
	out := filepath.Join(t.TempDir(), "out.safetensors")
	scratch := modelDir(t, "model.safetensors", "model.safetensors") // never point a would-be overwrite at testdata

	cases := []struct {
		name string
		args []string
		want string
	}{
		{"missing folder", []string{"--model", filepath.Join(t.TempDir(), "nope"), "--inputs", good}, "model folder"},
		{"corrupt config", []string{"--model", corrupt, "--inputs", good}, "config.json"},
		{"no weights", []string{"--model", noWeights, "--inputs", good}, "has no weights"},
		{"id out of vocab", []string{"--model", tinyDir, "--inputs", oov}, "id 512 at [0, 1] is outside the vocabulary [0, 512)"},
		{"too long", []string{"--model", tinyDir, "--inputs", long}, "sequence length 65 exceeds max_position_embeddings 64"},
		{"float ids", []string{"--model", tinyDir, "--inputs", floatIDs}, "dtype F32, want I64 or I32"},
		{"no ids", []string{"--model", tinyDir, "--inputs", noIDs}, `no tensor "input_ids"`},
		{"mask shape", []string{"--model", tinyDir, "--inputs", badMask}, `"attention_mask" has shape [1 2], but input_ids is [1 3]`},
		{"1-D ids", []string{"--model", tinyDir, "--inputs", oneD}, "want [batch, seq]"},
		{"bad head", []string{"--model", tinyDir, "--inputs", good, "--head", "ner"}, `unknown head "ner"`},
		{"missing inputs file", []string{"--model", tinyDir, "--inputs", filepath.Join(t.TempDir(), "x.safetensors")}, "x.safetensors"},
		{"output over inputs", []string{"--model", tinyDir, "--inputs", good, "--output", good}, "is the --inputs file"},
		{"output over weights", []string{"--model", scratch, "--inputs", good, "--output", filepath.Join(scratch, "model.safetensors")}, "would replace the model's own model.safetensors"},
		{"output is a folder", []string{"--model", tinyDir, "--inputs", good, "--output", t.TempDir()}, "is a directory"},
		{"output dir missing", []string{"--model", tinyDir, "--inputs", good, "--output", filepath.Join(t.TempDir(), "no", "o.safetensors")}, "o.safetensors: folder "},
	}
	for _, c := range cases {
		args := append([]string{"forward", "--output", out}, c.args...)
		code, _, stderr := medbert(t, args...)
		if code != 1 || !strings.Contains(stderr, c.want) {
			t.Errorf("%s: exit %d, stderr %q, want %q", c.name, code, stderr, c.want)
		}
		if strings.Contains(stderr, "panic") || strings.Contains(stderr, "goroutine") {
			t.Errorf("%s: panicked: %s", c.name, stderr)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("an output file was written despite errors")
	}
	if code, _, _ := medbert(t, "forward", "--model", tinyDir); code != 1 {
		t.Errorf("missing flags: exit %d", code)
	}
	if code, _, stderr := medbert(t, "forward", "--help"); code != 0 || !strings.Contains(stderr, "--inputs") {
		t.Errorf("--help: exit %d, %q", code, stderr)
	}
}

func TestInitInspectForward(t *testing.T) {
	// A 512-entry vocab fitting the tiny config.
	vocab := filepath.Join(t.TempDir(), "my-vocab.txt")
	var sb strings.Builder
	for i := 0; i < 512; i++ {
		switch i {
		case 0:
			sb.WriteString("[PAD]\n")
		case 100:
			sb.WriteString("[UNK]\n")
		case 101:
			sb.WriteString("[CLS]\n")
		case 102:
			sb.WriteString("[SEP]\n")
		case 103:
			sb.WriteString("[MASK]\n")
		default:
			sb.WriteString("tok" + strconv.Itoa(i) + "\n")
		}
	}
	os.WriteFile(vocab, []byte(sb.String()), 0o644)
	cfg := filepath.Join(tinyDir, "config.json")
	dir := filepath.Join(t.TempDir(), "model")
	code, stdout, stderr := medbert(t, "init", "--config", cfg, "--output", dir, "--seed", "3", "--vocab", vocab, "--head", "mlm")
	if code != 0 {
		t.Fatalf("init: exit %d %s", code, stderr)
	}
	if !strings.Contains(stdout, "BertForMaskedLM") {
		t.Errorf("init stdout %q", stdout)
	}
	// Deterministic: the same seed writes the same bytes; refuses to overwrite.
	dir2 := filepath.Join(t.TempDir(), "model")
	medbert(t, "init", "--config", cfg, "--output", dir2, "--seed", "3", "--head", "mlm")
	a, _ := os.ReadFile(filepath.Join(dir, "model.safetensors"))
	b, _ := os.ReadFile(filepath.Join(dir2, "model.safetensors"))
	if !bytes.Equal(a, b) {
		t.Error("init with the same seed wrote different weights")
	}
	if code, _, stderr := medbert(t, "init", "--config", cfg, "--output", dir, "--seed", "4"); code != 1 || !strings.Contains(stderr, "--force") {
		t.Errorf("overwrite: exit %d %q", code, stderr)
	}
	if code, _, stderr := medbert(t, "init", "--config", cfg, "--output", t.TempDir(), "--vocab", "../../testdata/vocab/bert-base-cased-vocab.txt"); code != 1 || !strings.Contains(stderr, "28996 entries") {
		t.Errorf("oversized vocab: exit %d %q", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "vocab.txt")); err != nil {
		t.Fatal("vocab.txt not written")
	}
	m, rep, err := bert.Load(dir, bert.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Head != bert.HeadMLM || len(rep.Missing)+len(rep.Unused) != 0 {
		t.Fatalf("reloaded head %s, report %+v", m.Head, rep)
	}

	code, stdout, stderr = medbert(t, "inspect", dir)
	if code != 0 {
		t.Fatalf("inspect: exit %d %s", code, stderr)
	}
	for _, want := range []string{
		"BertForMaskedLM (default head: mlm)",
		"parameters:    " + strconv.Itoa(m.NumParams()) + " ",
		"F32 ×42",
		"cls.predictions (mlm)",
		"vocab.txt 512 entries; uncased",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("inspect output lacks %q:\n%s", want, stdout)
		}
	}
	var row string
	for _, l := range strings.Split(stdout, "\n") {
		if strings.HasPrefix(l, "bert.embeddings.word_embeddings.weight ") {
			row = strings.Join(strings.Fields(l), " ")
		}
	}
	if row != "bert.embeddings.word_embeddings.weight F32 [512 64] 32768" {
		t.Errorf("tensor table row %q", row)
	}
	in := writeIDs(t, "I64", [][]int64{{101, 200, 103, 102}, {101, 300, 102, 0}},
		safetensors.I64("attention_mask", []int{2, 4}, []int64{1, 1, 1, 1, 1, 1, 1, 0}))
	out := filepath.Join(t.TempDir(), "o.safetensors")
	if code, _, stderr := medbert(t, "forward", "--model", dir, "--inputs", in, "--output", out, "--attentions"); code != 0 {
		t.Fatalf("forward: exit %d %s", code, stderr)
	}
	got := openST(t, out)
	l, s := f32(t, got, "logits")
	if !slices.Equal(s, []int{2, 4, 512}) || len(l) != 2*4*512 {
		t.Fatalf("logits shape %v", s)
	}
	if _, s := f32(t, got, "attentions.1"); !slices.Equal(s, []int{2, 4, 4, 4}) {
		t.Fatalf("attentions shape %v", s)
	}
}

func TestInspectTorchFolder(t *testing.T) {
	dir := t.TempDir()
	for src, dst := range map[string]string{"config.json": "config.json", "pytorch_model_legacy.bin": "pytorch_model.bin"} {
		b, err := os.ReadFile(filepath.Join(tinyDir, src))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, dst), b, 0o644)
	}
	code, stdout, stderr := medbert(t, "inspect", dir)
	if code != 0 {
		t.Fatalf("exit %d %s", code, stderr)
	}
	for _, want := range []string{"weights:       pytorch_model.bin", "I64 ×1", "F32 ×50", "parameters:    113349 ", "bert.embeddings.LayerNorm.gamma"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("inspect output lacks %q:\n%s", want, stdout)
		}
	}
	if code, _, stderr := medbert(t, "inspect", filepath.Join(dir, "nope")); code != 1 || !strings.Contains(stderr, "model folder") || !strings.Contains(stderr, "does not exist") {
		t.Errorf("missing folder: %d %q", code, stderr)
	}
	if code, _, stderr := medbert(t, "inspect", filepath.Join(dir, "config.json")); code != 1 || !strings.Contains(stderr, "not a directory") {
		t.Errorf("file instead of folder: %d %q", code, stderr)
	}

	// The config disagrees with the weights (intermediate 96 vs 128 and
	// 2 labels vs 3): inspect still describes the folder but names every
	// mismatching tensor, so the user learns it before forward refuses it.
	raw, _ := os.ReadFile(filepath.Join(tinyDir, "config.json"))
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	m["intermediate_size"], m["num_labels"] = 96, 2
	delete(m, "id2label")
	delete(m, "label2id")
	cfg, _ := json.Marshal(m)
	os.WriteFile(filepath.Join(dir, "config.json"), cfg, 0o644)
	code, stdout, stderr = medbert(t, "inspect", "--no-tensors", dir)
	if code != 0 {
		t.Fatalf("inspect with mismatching config: exit %d %s", code, stderr)
	}
	for _, want := range []string{
		`tensor "bert.encoder.layer.0.intermediate.dense.weight" has shape [128 64], but config.json needs [96 64]`,
		`tensor "bert.encoder.layer.1.output.dense.weight" has shape [64 128], but config.json needs [64 96]`,
		`tensor "bert.encoder.layer.1.intermediate.dense.bias" has shape [128], but config.json needs [96]`,
		`tensor "classifier.weight" has shape [3 64], but config.json needs [2 64]`,
		"warning:       8 tensors disagree with config.json",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("inspect output lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "LayerNorm.gamma\" has shape") {
		t.Errorf("a legacy gamma name was flagged:\n%s", stdout)
	}
}

func TestForwardFromTorchFolder(t *testing.T) {
	// A folder as Bio_ClinicalBERT ships it: config + legacy-format .bin.
	dir := t.TempDir()
	for src, dst := range map[string]string{"config.json": "config.json", "pytorch_model_legacy.bin": "pytorch_model.bin"} {
		b, err := os.ReadFile(filepath.Join(tinyDir, src))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, dst), b, 0o644)
	}
	out := filepath.Join(t.TempDir(), "out.safetensors")
	code, _, stderr := medbert(t, "forward", "--model", dir, "--inputs", filepath.Join(tinyDir, "inputs.safetensors"), "--output", out, "--head", "qa")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	exp := openST(t, filepath.Join(tinyDir, "expected.safetensors"))
	got := openST(t, out)
	compare(t, got, "hidden_states.2", exp, "last_hidden_state", 1e-5)
	compare(t, got, "start_logits", exp, "qa_start_logits", 1e-5)
	compare(t, got, "end_logits", exp, "qa_end_logits", 1e-5)
}

// TestForwardMissingWeightsWarning: forward still runs when the checkpoint
// lacks weights (as HF does), but the warning says which outputs that spoils.
func TestForwardMissingWeightsWarning(t *testing.T) {
	inputs := filepath.Join(tinyDir, "inputs.safetensors")
	// A bare BertModel checkpoint run as seqcls: only the classifier is new.
	base := filepath.Join(t.TempDir(), "base")
	if code, _, stderr := medbert(t, "init", "--config", filepath.Join(tinyDir, "config.json"), "--output", base, "--head", "base"); code != 0 {
		t.Fatalf("init: %s", stderr)
	}
	out := filepath.Join(t.TempDir(), "o.safetensors")
	code, _, stderr := medbert(t, "forward", "--model", base, "--inputs", inputs, "--output", out, "--head", "seqcls")
	if code != 0 || !strings.Contains(stderr, "2 parameters of BertForSequenceClassification") ||
		!strings.Contains(stderr, "classifier.weight, classifier.bias") || !strings.Contains(stderr, "hidden states come from the checkpoint") {
		t.Errorf("head-only missing: exit %d, stderr %q", code, stderr)
	}

	// The golden checkpoint minus one encoder weight: everything is spoiled.
	dir := t.TempDir()
	b, _ := os.ReadFile(filepath.Join(tinyDir, "config.json"))
	os.WriteFile(filepath.Join(dir, "config.json"), b, 0o644)
	src := openST(t, filepath.Join(tinyDir, "model.safetensors"))
	var ts []safetensors.Tensor
	for _, n := range src.Names() {
		if n == "bert.encoder.layer.1.output.dense.weight" {
			continue
		}
		info, _ := src.Info(n)
		raw, _ := src.Bytes(n)
		ts = append(ts, safetensors.Tensor{Name: n, DType: info.DType, Shape: info.Shape, Data: raw})
	}
	if err := safetensors.Write(filepath.Join(dir, "model.safetensors"), ts, nil); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = medbert(t, "forward", "--model", dir, "--inputs", inputs, "--output", out)
	if code != 0 || !strings.Contains(stderr, "bert.encoder.layer.1.output.dense.weight") || !strings.Contains(stderr, "hidden states included, is meaningless") {
		t.Errorf("encoder weight missing: exit %d, stderr %q", code, stderr)
	}
}

// TestForwardPrintsConfigWarnings: forward shows config.json warnings
// (here num_labels disagreeing with id2label, resolved as HF does).
func TestForwardPrintsConfigWarnings(t *testing.T) {
	dir := modelDir(t, "model.safetensors", "model.safetensors")
	b, _ := os.ReadFile(filepath.Join(dir, "config.json"))
	os.WriteFile(filepath.Join(dir, "config.json"), bytes.Replace(b, []byte(`"num_labels": 3`), []byte(`"num_labels": 5`), 1), 0o644)
	out := filepath.Join(t.TempDir(), "o.safetensors")
	code, stdout, stderr := medbert(t, "forward", "--model", dir, "--inputs", filepath.Join(tinyDir, "inputs.safetensors"), "--output", out)
	if code != 0 || !strings.Contains(stderr, "warning:") || !strings.Contains(stderr, "num_labels 5 disagrees with id2label (3 entries); using id2label") || !strings.Contains(stdout, "logits [3 3]") {
		t.Errorf("exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}
	// The golden checkpoint also holds the QA and MLM heads: reported as unused.
	if !strings.Contains(stderr, "note: 7 checkpoint tensors are not used by BertForSequenceClassification (cls.predictions.bias,") || !strings.Contains(stderr, "qa_outputs.weight)") {
		t.Errorf("unused-keys note missing:\n%s", stderr)
	}
}
