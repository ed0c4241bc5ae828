package bert

import (
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/medbert/medbert/safetensors"
	"github.com/medbert/medbert/tensor"
)

// Parity against the golden set (testdata/golden/README.md): a from-scratch
// PyTorch re-implementation of HF modeling_bert.py, run once in float32.
// Tolerances are the README's recommendations.

const (
	tolForward = 1e-5
	tolAttn    = 1e-6
	tolZeroGrd = 1e-6
)

type golden struct {
	t *testing.T
	f *safetensors.File
}

func openGolden(t *testing.T, name string) *golden {
	t.Helper()
	f, err := safetensors.Open(filepath.Join(tinyDir, name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return &golden{t, f}
}

func (g *golden) f32(name string) ([]float32, []int) {
	g.t.Helper()
	d, s, err := g.f.Float32(name)
	if err != nil {
		g.t.Fatal(err)
	}
	return d, s
}

func (g *golden) ints(name string) []int {
	g.t.Helper()
	d, _, err := g.f.Int64(name)
	if err != nil {
		g.t.Fatal(err)
	}
	out := make([]int, len(d))
	for i, v := range d {
		out[i] = int(v)
	}
	return out
}

// tinyInput returns the golden batch (3 × 16) with mask and segment ids.
func tinyInput(t *testing.T) (*Input, *golden) {
	in := openGolden(t, "inputs.safetensors")
	_, shape, err := in.f.Int64("input_ids")
	if err != nil {
		t.Fatal(err)
	}
	return &Input{
		Batch: shape[0], Seq: shape[1],
		InputIDs:      in.ints("input_ids"),
		AttentionMask: in.ints("attention_mask"),
		TokenTypeIDs:  in.ints("token_type_ids"),
	}, in
}

func tinyLabels(in *golden, head string) *Labels {
	switch head {
	case HeadSeqCls:
		return &Labels{Class: in.ints("seqcls_labels")}
	case HeadTokenCls:
		return &Labels{Class: in.ints("tokencls_labels")}
	case HeadQA:
		return &Labels{Start: in.ints("start_positions"), End: in.ints("end_positions")}
	case HeadMLM:
		return &Labels{Class: in.ints("mlm_labels")}
	}
	return nil
}

func loadTiny(t *testing.T, head string) *Model {
	t.Helper()
	m, rep, err := Load(tinyDir, LoadOptions{Head: head})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Missing) != 0 {
		t.Fatalf("missing weights for %s: %v", head, rep.Missing)
	}
	return m
}

func maxAbsDiff(a, b []float32) float64 {
	var m float64
	for i := range a {
		d := math.Abs(float64(a[i]) - float64(b[i]))
		if d > m || math.IsNaN(d) {
			m = d
			if math.IsNaN(d) {
				return math.Inf(1)
			}
		}
	}
	return m
}

func maxAbs(a []float32) float64 {
	var m float64
	for _, v := range a {
		m = math.Max(m, math.Abs(float64(v)))
	}
	return m
}

// expectClose compares got with golden name at absolute tolerance tol.
func expectClose(t *testing.T, g *golden, name string, got *tensor.Tensor, tol float64) {
	t.Helper()
	if got == nil {
		t.Errorf("%s: no output", name)
		return
	}
	want, shape := g.f32(name)
	if !slices.Equal(got.Shape, shape) && !(len(shape) == 0 && got.Size() == 1) {
		t.Errorf("%s: shape %v, want %v", name, got.Shape, shape)
		return
	}
	d := maxAbsDiff(got.Data, want)
	t.Logf("%-40s max abs diff %.3g", name, d)
	if d > tol {
		t.Errorf("%s: max abs diff %.3g > %.3g", name, d, tol)
	}
}

func TestForwardParity(t *testing.T) {
	in, inputs := tinyInput(t)
	exp := openGolden(t, "expected.safetensors")
	opt := Options{HiddenStates: true, Attentions: true}
	for _, head := range []string{HeadSeqCls, HeadTokenCls, HeadQA, HeadMLM} {
		t.Run(head, func(t *testing.T) {
			m := loadTiny(t, head)
			out, err := m.Forward(in, tinyLabels(inputs, head), opt)
			if err != nil {
				t.Fatal(err)
			}
			if len(out.HiddenStates) != 3 || len(out.Attentions) != 2 {
				t.Fatalf("got %d hidden states, %d attentions", len(out.HiddenStates), len(out.Attentions))
			}
			expectClose(t, exp, "embedding_output", out.HiddenStates[0], tolForward)
			for i, h := range out.HiddenStates {
				expectClose(t, exp, "hidden_states."+itoa(i), h, tolForward)
			}
			expectClose(t, exp, "last_hidden_state", out.LastHiddenState, tolForward)
			for i, a := range out.Attentions {
				expectClose(t, exp, "attentions."+itoa(i), a, tolAttn)
				checkMaskedKeysZero(t, in, a)
			}
			switch head {
			case HeadSeqCls:
				expectClose(t, exp, "pooled_output", out.PooledOutput, tolForward)
				expectClose(t, exp, "seqcls_logits", out.Logits, tolForward)
				expectClose(t, exp, "seqcls_loss", out.Loss, tolForward)
			case HeadTokenCls:
				expectClose(t, exp, "tokencls_logits", out.Logits, tolForward)
				expectClose(t, exp, "tokencls_loss", out.Loss, tolForward)
			case HeadQA:
				expectClose(t, exp, "qa_start_logits", out.StartLogits, tolForward)
				expectClose(t, exp, "qa_end_logits", out.EndLogits, tolForward)
				expectClose(t, exp, "qa_loss", out.Loss, tolForward)
			case HeadMLM:
				expectClose(t, exp, "mlm_logits", out.Logits, tolForward)
				expectClose(t, exp, "mlm_loss", out.Loss, tolForward)
			}
			if head != HeadSeqCls && out.PooledOutput != nil {
				t.Errorf("%s has a pooler; HF builds it with add_pooling_layer=False", head)
			}
		})
	}
}

// checkMaskedKeysZero: probabilities of padded keys must be exactly 0.
func checkMaskedKeysZero(t *testing.T, in *Input, probs *tensor.Tensor) {
	t.Helper()
	b, h, s := probs.Shape[0], probs.Shape[1], probs.Shape[2]
	for bi := 0; bi < b; bi++ {
		for k := 0; k < s; k++ {
			if in.AttentionMask[bi*s+k] != 0 {
				continue
			}
			for hi := 0; hi < h; hi++ {
				for q := 0; q < s; q++ {
					if v := probs.Data[((bi*h+hi)*s+q)*s+k]; v != 0 {
						t.Fatalf("masked key (b=%d,k=%d) has probability %g", bi, k, v)
					}
				}
			}
		}
	}
}

// TestLayer0Intermediates checks the debug.layer0.* goldens by running the
// layer-0 modules one by one on the embedding output.
func TestLayer0Intermediates(t *testing.T) {
	in, _ := tinyInput(t)
	exp := openGolden(t, "expected.safetensors")
	m := loadTiny(t, HeadSeqCls)
	out, err := m.Forward(in, nil, Options{HiddenStates: true})
	if err != nil {
		t.Fatal(err)
	}
	x := out.HiddenStates[0]
	l := m.Bert.Encoder.Layers[0]
	r, _ := m.prepare(in, Options{})
	expectClose(t, exp, "debug.layer0.query", l.Attention.Self.Query.Forward(x, false), tolForward)
	expectClose(t, exp, "debug.layer0.key", l.Attention.Self.Key.Forward(x, false), tolForward)
	expectClose(t, exp, "debug.layer0.value", l.Attention.Self.Value.Forward(x, false), tolForward)
	ctx, _ := l.Attention.Self.forward(r, x)
	expectClose(t, exp, "debug.layer0.context", ctx, tolForward)
	att := l.Attention.Output.forward(r, ctx, x)
	expectClose(t, exp, "debug.layer0.attention_output", att, tolForward)
	expectClose(t, exp, "debug.layer0.intermediate", l.Intermediate.forward(r, att), tolForward)
}

func TestForwardNoMask(t *testing.T) {
	in, _ := tinyInput(t)
	in.AttentionMask, in.TokenTypeIDs = nil, nil
	exp := openGolden(t, "expected.safetensors")
	m := loadTiny(t, HeadSeqCls)
	out, err := m.Forward(in, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	expectClose(t, exp, "nomask.last_hidden_state", out.LastHiddenState, tolForward)
	expectClose(t, exp, "nomask.pooled_output", out.PooledOutput, tolForward)
	expectClose(t, exp, "nomask.seqcls_logits", out.Logits, tolForward)
}

// TestHalfPrecisionWeights loads the F16 and BF16 checkpoints (widened to
// float32 at load) and compares with the goldens computed from the same
// rounded weights.
func TestHalfPrecisionWeights(t *testing.T) {
	in, _ := tinyInput(t)
	exp := openGolden(t, "expected.safetensors")
	for _, v := range []struct{ file, prefix string }{
		{"model_fp16.safetensors", "from_fp16_weights."},
		{"model_bf16.safetensors", "from_bf16_weights."},
	} {
		t.Run(v.file, func(t *testing.T) {
			cfg, err := LoadConfig(filepath.Join(tinyDir, FileConfig))
			if err != nil {
				t.Fatal(err)
			}
			m := build(cfg, HeadSeqCls)
			f, err := safetensors.Open(filepath.Join(tinyDir, v.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			rep, err := m.LoadWeights(f, v.file, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Missing) != 0 {
				t.Fatalf("missing %v", rep.Missing)
			}
			out, err := m.Forward(in, nil, Options{})
			if err != nil {
				t.Fatal(err)
			}
			expectClose(t, exp, v.prefix+"last_hidden_state", out.LastHiddenState, tolForward)
			expectClose(t, exp, v.prefix+"seqcls_logits", out.Logits, tolForward)
		})
	}
}

// TestGradientParity differentiates each head's loss and compares the
// gradient of EVERY parameter (and the golden activation gradients).
func TestGradientParity(t *testing.T) {
	in, inputs := tinyInput(t)
	for _, head := range []string{HeadSeqCls, HeadTokenCls, HeadQA, HeadMLM} {
		t.Run(head, func(t *testing.T) {
			g := openGolden(t, "grads_"+head+".safetensors")
			zero := map[string]bool{}
			for _, k := range strings.Split(g.f.Metadata()["analytically_zero_grads"], ",") {
				if k = strings.TrimSpace(k); k != "" {
					zero[k] = true
				}
			}
			if len(zero) == 0 {
				t.Fatal("grads file lists no analytically-zero gradients")
			}
			m := loadTiny(t, head)
			out, err := m.Forward(in, tinyLabels(inputs, head), Options{HiddenStates: true, Grad: true})
			if err != nil {
				t.Fatal(err)
			}
			acts := map[string]*tensor.Tensor{
				"grad_act.embedding_output": out.HiddenStates[0],
				"grad_act.hidden_states.1":  out.HiddenStates[1],
				"grad_act.hidden_states.2":  out.HiddenStates[2],
			}
			switch head {
			case HeadQA:
				acts["grad_act.start_logits"] = out.StartLogits
				acts["grad_act.end_logits"] = out.EndLogits
			case HeadSeqCls:
				acts["grad_act.pooled_output"] = out.PooledOutput
				acts["grad_act.logits"] = out.Logits
			default:
				acts["grad_act.logits"] = out.Logits
			}
			for _, a := range acts {
				a.RetainGrad()
			}
			expectClose(t, g, "loss", out.Loss, tolForward)
			out.Loss.Backward()

			seen := 0
			for _, p := range m.Params() {
				name := "grad." + p.Name
				want, shape := g.f32(name)
				seen++
				if !slices.Equal(shape, p.T.Shape) {
					t.Errorf("%s: golden shape %v, param %v", name, shape, p.T.Shape)
					continue
				}
				got := p.T.Grad
				if got == nil {
					got = make([]float32, p.T.Size())
				}
				if zero[name] {
					d := maxAbs(got)
					t.Logf("%-60s analytically zero, max |grad| %.3g", name, d)
					if d > tolZeroGrd {
						t.Errorf("%s: analytically zero gradient has max |g| %.3g > %g", name, d, tolZeroGrd)
					}
					continue
				}
				checkGrad(t, name, got, want)
			}
			var inFile int
			for _, n := range g.f.Names() {
				if strings.HasPrefix(n, "grad.") {
					inFile++
				}
			}
			if seen != inFile {
				t.Errorf("model has %d parameters, golden has %d gradients", seen, inFile)
			}
			for name, a := range acts {
				want, _ := g.f32(name)
				if a.Grad == nil {
					t.Errorf("%s: no gradient retained", name)
					continue
				}
				checkGrad(t, name, a.Grad, want)
			}
			if head != HeadMLM {
				// padding_idx: the [PAD] row of the word embeddings gets nothing.
				w := m.Bert.Embeddings.WordEmbeddings.Weight
				if d := maxAbs(w.Grad[:w.Shape[1]]); d != 0 {
					t.Errorf("[PAD] row gradient %g, want exactly 0", d)
				}
			}
		})
	}
}

func checkGrad(t *testing.T, name string, got, want []float32) {
	t.Helper()
	d := maxAbsDiff(got, want)
	tol := 1e-4*maxAbs(want) + 1e-7
	t.Logf("%-60s max abs diff %.3g (tol %.3g)", name, d, tol)
	if d > tol {
		t.Errorf("%s: max abs diff %.3g > %.3g", name, d, tol)
	}
}
