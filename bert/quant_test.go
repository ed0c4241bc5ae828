package bert

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medbert/medbert/tensor"
)

// int8Budget is the golden README's accuracy budget for dynamic int8 on the
// tiny seq-cls model: 5 × torch's measured max |int8 − fp32| (4.38e-4).
const int8Budget = 5 * 4.38e-4

func quantTiny(t *testing.T, head string, opt QuantOptions) *Model {
	t.Helper()
	m := loadTiny(t, head)
	if err := m.Quantize(opt); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestQuantizedGoldenLogits(t *testing.T) {
	in, _ := tinyInput(t)
	g := openGolden(t, "int8_seqcls.safetensors")
	fp32, _ := g.f32("fp32_seqcls_logits")
	torchInt8, _ := g.f32("int8_seqcls_logits")
	for _, opt := range []QuantOptions{{}, {PerTensor: true}, {Embeddings: true}} {
		m := quantTiny(t, HeadSeqCls, opt)
		out, err := m.Forward(in, nil, Options{})
		if err != nil {
			t.Fatal(err)
		}
		d := maxAbsDiff(out.Logits.Data, fp32)
		t.Logf("%+v: max |int8 − fp32| = %.3g (torch int8: %.3g, budget %.3g); max |ours − torch int8| = %.3g",
			opt, d, maxAbsDiff(torchInt8, fp32), int8Budget, maxAbsDiff(out.Logits.Data, torchInt8))
		if d > int8Budget {
			t.Errorf("%+v: int8 logits differ from fp32 by %.3g > %.3g", opt, d, int8Budget)
		}
		if d == 0 {
			t.Errorf("%+v: int8 logits equal fp32 exactly: the int8 path did not run", opt)
		}
	}
}

func TestQuantizedSaveLoad(t *testing.T) {
	in, _ := tinyInput(t)
	for _, head := range []string{HeadSeqCls, HeadTokenCls, HeadQA, HeadMLM, HeadBase} {
		for _, opt := range []QuantOptions{{}, {PerTensor: true, Embeddings: head != HeadMLM}} {
			m := quantTiny(t, head, opt)
			want, err := m.Forward(in, nil, Options{})
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			if err := m.Save(dir); err != nil {
				t.Fatal(err)
			}
			back, rep, err := Load(dir, LoadOptions{})
			if err != nil {
				t.Fatalf("%s %+v: %v", head, opt, err)
			}
			if !back.Quantized() || back.Head != head || *back.QuantConfig() != *m.QuantConfig() {
				t.Fatalf("%s: reloaded quantized=%v head=%s config %+v", head, back.Quantized(), back.Head, back.QuantConfig())
			}
			if len(rep.Unused) != 0 {
				t.Errorf("%s: unused tensors %v", head, rep.Unused)
			}
			got, err := back.Forward(in, nil, Options{})
			if err != nil {
				t.Fatal(err)
			}
			for _, pair := range [][2]*tensor.Tensor{{want.Logits, got.Logits}, {want.StartLogits, got.StartLogits}, {want.LastHiddenState, got.LastHiddenState}} {
				if pair[0] == nil {
					continue
				}
				if d := maxAbsDiff(pair[0].Data, pair[1].Data); d != 0 {
					t.Errorf("%s %+v: reloaded int8 model differs by %g", head, opt, d)
				}
			}
			if m.WeightBytes() != back.WeightBytes() {
				t.Errorf("%s: weight bytes %d before save, %d after load", head, m.WeightBytes(), back.WeightBytes())
			}
		}
	}
}

func TestQuantizedSmallerOnDisk(t *testing.T) {
	m := quantTiny(t, HeadSeqCls, QuantOptions{Embeddings: true})
	dir := t.TempDir()
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	q, _ := os.Stat(filepath.Join(dir, FileSafetensors))
	f, _ := os.Stat(filepath.Join(tinyDir, FileSafetensors))
	// The tiny model is mostly embeddings and small matrices; int8 everywhere
	// it matters must still be well under half.
	if r := float64(q.Size()) / float64(f.Size()); r > 0.4 {
		t.Errorf("int8 folder is %.2f of the float32 one", r)
	}
	// In memory: int8 bytes + scales; the tiny model's float biases,
	// LayerNorms and position table weigh more than in bert-base (0.32 here).
	fp := loadTiny(t, HeadSeqCls)
	if r := float64(m.WeightBytes()) / float64(fp.WeightBytes()); r > 0.35 {
		t.Errorf("int8 weights take %.2f of float32's memory", r)
	}
}

func TestQuantizedErrors(t *testing.T) {
	in, _ := tinyInput(t)
	m := quantTiny(t, HeadSeqCls, QuantOptions{})
	if err := m.Quantize(QuantOptions{}); err == nil {
		t.Error("quantizing twice: no error")
	}
	if _, err := m.Forward(in, nil, Options{Grad: true}); err == nil || !strings.Contains(err.Error(), "inference only") {
		t.Errorf("training an int8 model: %v", err)
	}
	if err := loadTiny(t, HeadMLM).Quantize(QuantOptions{Embeddings: true}); err == nil {
		t.Error("mlm with int8 embeddings: no error")
	}
	// A config naming another method is refused with the file name.
	dir := t.TempDir()
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, FileConfig)
	b, _ := os.ReadFile(cfgPath)
	os.WriteFile(cfgPath, []byte(strings.Replace(string(b), QuantMethod, "gptq", 1)), 0o644)
	if _, _, err := Load(dir, LoadOptions{}); err == nil || !strings.Contains(err.Error(), "gptq") || !strings.Contains(err.Error(), "config.json") {
		t.Errorf("unknown quant_method: %v", err)
	}
}

func TestQuantizedNumParams(t *testing.T) {
	fp := loadTiny(t, HeadSeqCls)
	q := quantTiny(t, HeadSeqCls, QuantOptions{Embeddings: true})
	if fp.NumParams() != q.NumParams() {
		t.Errorf("int8 model reports %d parameters, float32 %d", q.NumParams(), fp.NumParams())
	}
}

// Forward of an int8 model is safe for concurrent use (eval mode), like the
// float32 one: the quantized activations live in per-call scratch.
func TestQuantizedConcurrentForward(t *testing.T) {
	in, _ := tinyInput(t)
	m := quantTiny(t, HeadSeqCls, QuantOptions{})
	want, err := m.Forward(in, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			for range 5 {
				out, err := m.Forward(in, nil, Options{})
				if err == nil && maxAbsDiff(out.Logits.Data, want.Logits.Data) != 0 {
					err = fmt.Errorf("concurrent forward differs")
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}
