package bert

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/medbert/medbert/tensor"
)

func tinyConfig(t *testing.T) *Config {
	t.Helper()
	c, err := LoadConfig(tinyDir + "/" + FileConfig)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func smallInput() *Input {
	return &Input{Batch: 2, Seq: 5, InputIDs: []int{101, 200, 300, 400, 102, 101, 250, 102, 0, 0},
		AttentionMask: []int{1, 1, 1, 1, 1, 1, 1, 1, 0, 0}}
}

func TestSeqClsRegression(t *testing.T) {
	cfg := tinyConfig(t)
	cfg.SetNumLabels(1)
	m, err := New(cfg, HeadSeqCls, 1)
	if err != nil {
		t.Fatal(err)
	}
	y := []float32{0.5, -1.25}
	for _, lb := range []*Labels{{Float: y}, {Class: []int{2, -1}}} {
		out, err := m.Forward(smallInput(), lb, Options{})
		if err != nil {
			t.Fatal(err)
		}
		target := lb.Float
		if target == nil {
			target = []float32{2, -1} // integer labels with num_labels 1 are regression targets (HF)
		}
		var want float64
		for i, v := range out.Logits.Data {
			d := float64(v) - float64(target[i])
			want += d * d / 2
		}
		if got := float64(out.Loss.Item()); math.Abs(got-want) > 1e-6 {
			t.Errorf("MSE %v, want %v", got, want)
		}
	}
}

func TestSeqClsMultiLabel(t *testing.T) {
	cfg := tinyConfig(t)
	cfg.ProblemType = ProblemMultiLabel
	m, err := New(cfg, HeadSeqCls, 2)
	if err != nil {
		t.Fatal(err)
	}
	// Large enough classifier weights that the logits are not all ~0.
	for i := range m.SeqCls.Classifier.Weight.Data {
		m.SeqCls.Classifier.Weight.Data[i] *= 50
	}
	y := []float32{1, 0, 1, 0, 0, 1}
	out, err := m.Forward(smallInput(), &Labels{Float: y}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var want float64
	for i, v := range out.Logits.Data {
		p := 1 / (1 + math.Exp(-float64(v)))
		want -= float64(y[i])*math.Log(p) + (1-float64(y[i]))*math.Log(1-p)
	}
	want /= 6
	if got := float64(out.Loss.Item()); math.Abs(got-want) > 1e-6 {
		t.Errorf("BCE %v, want %v", got, want)
	}
	if _, err := m.Forward(smallInput(), &Labels{Float: y[:5]}, Options{}); err == nil {
		t.Error("short multi-label targets accepted")
	}
}

func TestDropoutTrainEval(t *testing.T) {
	cfg := tinyConfig(t)
	cfg.HiddenDropoutProb, cfg.AttentionProbsDropoutProb = 0.1, 0.1
	m, err := New(cfg, HeadSeqCls, 5)
	if err != nil {
		t.Fatal(err)
	}
	noDrop := tinyConfig(t)
	ref, _ := New(noDrop, HeadSeqCls, 5) // same seed: same weights
	fwd := func(m *Model, opt Options) []float32 {
		out, err := m.Forward(smallInput(), &Labels{Class: []int{0, 2}}, opt)
		if err != nil {
			t.Fatal(err)
		}
		return out.LastHiddenState.Data
	}
	evalOut := fwd(m, Options{})
	if !slices.Equal(evalOut, fwd(ref, Options{})) {
		t.Fatal("eval mode is not dropout-free")
	}
	seeded := func(seed uint64) Options { return Options{Dropout: rand.New(rand.NewPCG(seed, 0))} }
	r9 := seeded(9)
	a := fwd(m, r9)
	b := fwd(m, r9)
	c := fwd(m, seeded(9))
	if slices.Equal(a, evalOut) || slices.Equal(a, b) {
		t.Error("training mode did not apply dropout")
	}
	if !slices.Equal(a, c) {
		t.Error("dropout is not reproducible from its seed")
	}
	// Attention dropout alone also changes the result.
	cfg2 := tinyConfig(t)
	cfg2.AttentionProbsDropoutProb = 0.2
	m2, _ := New(cfg2, HeadSeqCls, 5)
	if slices.Equal(fwd(m2, seeded(1)), evalOut) {
		t.Error("attention dropout had no effect")
	}
	// Backward through dropout fills every trainable gradient.
	out, err := m.Forward(smallInput(), &Labels{Class: []int{0, 2}}, Options{Grad: true, Dropout: seeded(2).Dropout})
	if err != nil {
		t.Fatal(err)
	}
	out.Loss.Backward()
	for _, p := range m.Params() {
		if p.T.Grad == nil {
			t.Errorf("%s: no gradient in training mode", p.Name)
		}
	}
	if !slices.Equal(fwd(m, Options{}), evalOut) {
		t.Error("back in eval mode, outputs changed")
	}
}

func TestActivations(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	x := tensor.Zeros(40)
	for i := range x.Data {
		x.Data[i] = float32(rng.NormFloat64() * 2)
	}
	x.SetRequiresGrad(true)
	ref := map[string]func(float64) float64{
		ActGELU: func(v float64) float64 { return 0.5 * v * (1 + math.Erf(v/math.Sqrt2)) },
		ActGELUNew: func(v float64) float64 {
			return 0.5 * v * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(v+0.044715*v*v*v)))
		},
		ActReLU: func(v float64) float64 { return math.Max(v, 0) },
	}
	for act, f := range ref {
		y := activate(act, x)
		for i, v := range x.Data {
			if d := math.Abs(float64(y.Data[i]) - f(float64(v))); d > 1e-6 {
				t.Fatalf("%s(%g) = %g, want %g", act, v, y.Data[i], f(float64(v)))
			}
		}
		// Gradient of Σ act(x) against a central difference of the reference.
		x.Grad = nil
		tensor.Sum(y).Backward()
		for i, v := range x.Data {
			h := 1e-4
			num := (f(float64(v)+h) - f(float64(v)-h)) / (2 * h)
			if math.Abs(float64(v)) < 1e-3 && act == ActReLU {
				continue // kink
			}
			if d := math.Abs(float64(x.Grad[i]) - num); d > 1e-4 {
				t.Fatalf("%s'(%g) = %g, want %g", act, v, x.Grad[i], num)
			}
		}
	}
}

func TestNewInit(t *testing.T) {
	cfg := tinyConfig(t)
	m, err := New(cfg, HeadMLM, 11)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range m.Params() {
		d := p.T.Data
		switch {
		case hasSuffix(p.Name, "LayerNorm.weight"):
			if slices.ContainsFunc(d, func(v float32) bool { return v != 1 }) {
				t.Errorf("%s not all 1", p.Name)
			}
		case hasSuffix(p.Name, "bias"):
			if maxAbs(d) != 0 {
				t.Errorf("%s not zero", p.Name)
			}
		default:
			var sq float64
			for _, v := range d {
				sq += float64(v) * float64(v)
			}
			if std := math.Sqrt(sq / float64(len(d))); std < 0.017 || std > 0.023 {
				t.Errorf("%s: std %.4f, want ≈ 0.02", p.Name, std)
			}
		}
	}
	w := m.Bert.Embeddings.WordEmbeddings.Weight
	if maxAbs(w.Data[:cfg.HiddenSize]) != 0 {
		t.Error("padding row of the word embeddings not zeroed")
	}
	if _, err := New(cfg, "ner", 1); err == nil {
		t.Error("unknown head accepted")
	}
	bad := cfg.Clone()
	bad.NumAttentionHeads = 3
	if _, err := New(bad, HeadBase, 1); err == nil {
		t.Error("invalid config accepted")
	}
}
