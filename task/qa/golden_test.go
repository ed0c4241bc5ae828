package qa

import (
	"github.com/medbert/medbert/internal/testmodel"
	"math"
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
// with grads_qa.safetensors. The golden's second end position (30) lies
// outside the 16 positions, so that loss term is ignored as in HF.
func TestGoldenLossAndGradients(t *testing.T) {
	in := openST(t, "inputs.safetensors")
	ids, shape := ints(t, in, "input_ids")
	mask, _ := ints(t, in, "attention_mask")
	types, _ := ints(t, in, "token_type_ids")
	starts, _ := ints(t, in, "start_positions")
	ends, _ := ints(t, in, "end_positions")
	m, _, err := bert.Load(tinyDir, bert.LoadOptions{Head: bert.HeadQA})
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
		for j := n; j < s; j++ {
			if mask[b*s+j] != 0 || ids[b*s+j] != 0 || types[b*s+j] != 0 {
				t.Fatalf("row %d: golden padding at %d is not [PAD]/0", b, j)
			}
		}
		task.Train = append(task.Train, Feature{IDs: ids[b*s : b*s+n], TypeIDs: types[b*s : b*s+n], Start: starts[b], End: ends[b]})
	}
	loss, err := task.Loss([]int{0, 1, 2}, train.StepRNG(42, 0))
	if err != nil {
		t.Fatal(err)
	}
	g := openST(t, "grads_qa.safetensors")
	want, _, err := g.Float32("loss")
	if err != nil {
		t.Fatal(err)
	}
	if d := math.Abs(float64(loss.Item() - want[0])); d > 1e-5 {
		t.Fatalf("loss %v, golden %v (diff %.3g)", loss.Item(), want[0], d)
	}
	loss.Backward()
	zero := map[string]bool{}
	for _, k := range strings.Split(g.Metadata()["analytically_zero_grads"], ",") {
		zero[strings.TrimSpace(k)] = true
	}
	n := 0
	for _, p := range task.Params() {
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
	if n == 0 || n != len(g.Names())-countNonGrad(g) {
		t.Errorf("compared %d gradients of %d in the golden file", n, len(g.Names())-countNonGrad(g))
	}
}

func countNonGrad(g *safetensors.File) int {
	k := 0
	for _, n := range g.Names() {
		if !strings.HasPrefix(n, "grad.") {
			k++
		}
	}
	return k
}
