package tokencls

import (
	"github.com/medbert/medbert/internal/testmodel"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/medbert/medbert/bert"
	"github.com/medbert/medbert/safetensors"
	"github.com/medbert/medbert/tokenize"
	"github.com/medbert/medbert/train"
)

// The tiny golden model and batch of bert's parity tests
// (testdata/golden/README.md at the repository root).
var tinyDir = filepath.Join("..", "..", "testdata", "golden", "tiny")

func openST(t *testing.T, name string) *safetensors.File {
	t.Helper()
	f, err := safetensors.Open(filepath.Join(tinyDir, name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func ints(t *testing.T, f *safetensors.File, name string) ([]int, []int) {
	t.Helper()
	d, shape, err := f.Int64(name)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]int, len(d))
	for i, v := range d {
		out[i] = int(v)
	}
	return out, shape
}

// tinyTokenizer is a tokenizer over the tiny model's ids (its [PAD],
// [UNK], [CLS], [SEP] and [MASK] are 0 and 100-103).
func tinyTokenizer(t *testing.T) *tokenize.Tokenizer { return testmodel.Tokenizer(t) }

// TestGoldenLossAndGradients runs the golden batch through Task.Loss, as
// the Trainer does, and compares the loss and every parameter gradient
// with grads_tokencls.safetensors (tolerances of the golden README).
func TestGoldenLossAndGradients(t *testing.T) {
	in := openST(t, "inputs.safetensors")
	ids, shape := ints(t, in, "input_ids")
	mask, _ := ints(t, in, "attention_mask")
	types, _ := ints(t, in, "token_type_ids")
	labels, _ := ints(t, in, "tokencls_labels")
	m, _, err := bert.Load(tinyDir, bert.LoadOptions{Head: bert.HeadTokenCls})
	if err != nil {
		t.Fatal(err)
	}
	task := &Task{Model: m, Tokenizer: tinyTokenizer(t)}
	s := shape[1]
	for b := 0; b < shape[0]; b++ {
		n := 0
		for n < s && mask[b*s+n] == 1 {
			n++
		}
		// The golden pads carry id 0 = [PAD], type 0 and label -100, which
		// is what collate produces for a row of n real tokens.
		for j := n; j < s; j++ {
			if mask[b*s+j] != 0 || ids[b*s+j] != 0 || types[b*s+j] != 0 || labels[b*s+j] != bert.IgnoreIndex {
				t.Fatalf("row %d: golden padding at %d is not [PAD]/0/-100", b, j)
			}
		}
		task.Train = append(task.Train, Feature{IDs: ids[b*s : b*s+n], TypeIDs: types[b*s : b*s+n], Labels: labels[b*s : b*s+n]})
	}
	var _ train.Task = task
	loss, err := task.Loss([]int{0, 1, 2}, train.StepRNG(42, 0))
	if err != nil {
		t.Fatal(err)
	}
	g := openST(t, "grads_tokencls.safetensors")
	want, _, err := g.Float32("loss")
	if err != nil {
		t.Fatal(err)
	}
	if d := math.Abs(float64(loss.Item() - want[0])); d > 1e-5 {
		t.Fatalf("loss %v, golden %v (diff %.3g)", loss.Item(), want[0], d)
	}
	loss.Backward()
	checkGradients(t, g, task.Params())
}

// checkGradients compares every parameter's gradient with the golden file
// g: per tensor max |diff| <= 1e-4·max|golden| + 1e-7, and at most 1e-6 for
// the analytically zero ones the file lists.
func checkGradients(t *testing.T, g *safetensors.File, params []train.NamedParam) {
	t.Helper()
	zero := map[string]bool{}
	for _, k := range strings.Split(g.Metadata()["analytically_zero_grads"], ",") {
		zero[strings.TrimSpace(k)] = true
	}
	n := 0
	for _, p := range params {
		name := "grad." + p.Name
		want, shape, err := g.Float32(name)
		if err != nil {
			t.Fatal(err)
		}
		n++
		if !slices.Equal(shape, p.T.Shape) {
			t.Fatalf("%s: golden shape %v, param %v", name, shape, p.T.Shape)
		}
		got := p.T.Grad
		if got == nil {
			got = make([]float32, p.T.Size())
		}
		var d, mx float64
		for i := range want {
			d = math.Max(d, math.Abs(float64(got[i]-want[i])))
			mx = math.Max(mx, math.Abs(float64(want[i])))
		}
		tol := 1e-4*mx + 1e-7
		if zero[name] {
			tol = 1e-6
		}
		if d > tol || math.IsNaN(d) {
			t.Errorf("%s: max abs diff %.3g > %.3g", name, d, tol)
		}
	}
	var inFile int
	for _, name := range g.Names() {
		if strings.HasPrefix(name, "grad.") {
			inFile++
		}
	}
	if n != inFile || n == 0 {
		t.Errorf("compared %d gradients, golden has %d", n, inFile)
	}
}

// TestLossUsesDropoutFromRNG: with dropout in the config, the same rng
// gives the same loss and another rng another one (Loss derives the mask
// generator from the Trainer's rng, never from global state).
func TestLossUsesDropoutFromRNG(t *testing.T) {
	m, _, err := bert.Load(tinyDir, bert.LoadOptions{Head: bert.HeadTokenCls})
	if err != nil {
		t.Fatal(err)
	}
	m.Config.HiddenDropoutProb = 0.3
	m2, err := bert.New(m.Config, bert.HeadTokenCls, 1)
	if err != nil {
		t.Fatal(err)
	}
	task := &Task{Model: m2, Tokenizer: tinyTokenizer(t),
		Train: []Feature{{IDs: []int{101, 200, 201, 102}, TypeIDs: make([]int, 4), Labels: []int{-100, 1, 2, -100}}}}
	loss := func(r *rand.Rand) float32 {
		l, err := task.Loss([]int{0}, r)
		if err != nil {
			t.Fatal(err)
		}
		return l.Item()
	}
	a, b, c := loss(train.StepRNG(1, 0)), loss(train.StepRNG(1, 0)), loss(train.StepRNG(1, 1))
	if a != b || a == c {
		t.Fatalf("losses %v %v %v: want equal for one rng, different for another", a, b, c)
	}
}

// TestTrainPaddingKeepsLoss: Loss pads an 11-token row to 16 (multiple of
// 8); padded positions are masked and unlabelled, so the loss equals the
// forward on the unpadded row.
func TestTrainPaddingKeepsLoss(t *testing.T) {
	m, _, err := bert.Load(tinyDir, bert.LoadOptions{Head: bert.HeadTokenCls})
	if err != nil {
		t.Fatal(err)
	}
	f := Feature{IDs: []int{101, 116, 103, 335, 393, 102, 346, 134, 103, 463, 102}, TypeIDs: []int{0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1},
		Labels: []int{-100, 2, 0, -100, 2, -100, 2, 2, 1, 0, -100}}
	task := &Task{Model: m, Tokenizer: tinyTokenizer(t), Train: []Feature{f}}
	if in, _ := collate([]*Feature{&f}, 0, 8, 64); in.Seq != 16 {
		t.Fatalf("11 tokens padded to a multiple of 8: %d positions", in.Seq)
	}
	long := Feature{IDs: make([]int, 61), TypeIDs: make([]int, 61)}
	if in, _ := collate([]*Feature{&long}, 0, 8, 62); in.Seq != 61 {
		t.Fatalf("61 tokens with limit 62: %d positions, want 61 (no rounding past the position limit)", in.Seq)
	}
	loss, err := task.Loss([]int{0}, train.StepRNG(1, 0))
	if err != nil {
		t.Fatal(err)
	}
	in, labels := collate([]*Feature{&f}, 0, 1, 0)
	if in.Seq != 11 {
		t.Fatalf("unpadded batch has %d positions", in.Seq)
	}
	out, err := m.Forward(in, &bert.Labels{Class: labels}, bert.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if d := math.Abs(float64(loss.Item() - out.Loss.Item())); d > 1e-6 {
		t.Errorf("padded loss %v, unpadded %v", loss.Item(), out.Loss.Item())
	}
}
