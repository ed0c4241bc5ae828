package train

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medbert/medbert/tensor"
)

// bagTask classifies bags of token ids: mean of their embedding rows, then
// a linear layer. Its table can keep a row-sparse gradient
// (SparseEmbeddingGrader); tied makes the loss also read the whole table
// through a matmul, the misuse the Trainer must refuse.
type bagTask struct {
	ids       [][]int
	y         []int
	emb, w, b *tensor.Tensor
	tied      bool
}

const bagVocab, bagDim, bagClasses, bagLen = 60, 7, 3, 4

func newBagTask(n int) *bagTask {
	r := rand.New(rand.NewPCG(3, 4))
	t := &bagTask{}
	for i := 0; i < n; i++ {
		lab := i % bagClasses
		ids := make([]int, bagLen)
		for j := range ids {
			// Shared ids (0, the padding row, among them) and
			// class-specific ones.
			ids[j] = r.IntN(bagVocab)
			if j%2 == 1 {
				ids[j] = lab*bagVocab/bagClasses + r.IntN(bagVocab/bagClasses)
			}
		}
		t.ids, t.y = append(t.ids, ids), append(t.y, lab)
	}
	rnd := func(shape ...int) *tensor.Tensor {
		x := tensor.Zeros(shape...)
		for i := range x.Data {
			x.Data[i] = float32(r.NormFloat64() * 0.5)
		}
		return x
	}
	t.emb, t.w, t.b = rnd(bagVocab, bagDim), rnd(bagClasses, bagDim), tensor.Zeros(bagClasses)
	return t
}

func (t *bagTask) SetSparseEmbeddingGrad(on bool) bool {
	return t.emb.SetRowSparseGrad(on) == nil && on
}

func (t *bagTask) Params() []NamedParam {
	return []NamedParam{{"embeddings.weight", t.emb}, {"classifier.weight", t.w}, {"classifier.bias", t.b}}
}
func (t *bagTask) NumTrain() int { return len(t.ids) }

func (t *bagTask) Loss(idx []int, rng *rand.Rand) (*tensor.Tensor, error) {
	var ids, ys []int
	for _, i := range idx {
		ids, ys = append(ids, t.ids[i]...), append(ys, t.y[i])
	}
	x := tensor.Embedding(t.emb, ids, 0)           // (n·L, D)
	x = tensor.Reshape(x, len(idx), bagLen*bagDim) // each bag's rows side by side
	x = tensor.Dropout(x, 0.1, rng)                // the step RNG matters
	pool := tensor.Zeros(bagLen*bagDim, bagDim)    // sums the L rows of a bag
	for j := 0; j < bagLen*bagDim; j++ {
		pool.Data[j*bagDim+j%bagDim] = 1 / float32(bagLen)
	}
	x = tensor.MatMul(x, pool, false, false)
	if t.tied {
		x = tensor.MatMul(x, t.emb, false, true) // (n, V): reads every row, as a tied decoder
		x = tensor.MatMul(x, tensor.Zeros(bagVocab, bagDim), false, false)
	}
	return tensor.CrossEntropy(tensor.Linear(x, t.w, t.b), ys, -100, nil), nil
}

func (t *bagTask) Evaluate(context.Context) (map[string]float64, bool, error) {
	return nil, false, nil
}

func (t *bagTask) SaveModel(dir string) error {
	return saveParamsFile(filepath.Join(dir, "bag.bin"), t.Params())
}

func (t *bagTask) LoadWeights(dir string) error {
	return loadParamsFile(filepath.Join(dir, "bag.bin"), t.Params())
}

func bagWeights(t *bagTask) []uint32 {
	var out []uint32
	for _, p := range t.Params() {
		for _, v := range p.T.Data {
			out = append(out, math.Float32bits(v))
		}
	}
	return out
}

// denseOnly hides a task's SparseEmbeddingGrader: the Trainer sees only Task.
type denseOnly struct{ Task }

// TestTrainSparseEmbeddingGradBitIdentical: with the table's gradient
// row-sparse the Trainer reaches the same weights and logs the same global
// norms, bit for bit, as with the dense gradient (accumulation over 2
// micro-batches, clipping at 0.4, weight decay), never allocates the dense
// gradient, and turns the row-sparse mode off at the end.
func TestTrainSparseEmbeddingGradBitIdentical(t *testing.T) {
	args := func() Args {
		a := toyArgs(t.TempDir())
		a.LearningRate = 0.1
		a.SaveStrategy = StrategyNo
		a.LoggingSteps = 1
		a.MaxGradNorm = 0.4 // some steps clip, some do not
		return a
	}
	dense, sparse := newBagTask(37), newBagTask(37)
	before := bagWeights(dense)
	ad, as := args(), args()
	trd := &Trainer{Args: &ad, Task: denseOnly{dense}}
	if _, err := trd.Train(context.Background()); err != nil {
		t.Fatal(err)
	}
	rowsSeen := 0
	trs := &Trainer{Args: &as, Task: sparse, OnStep: func(int) {
		if sparse.emb.Grad != nil || sparse.emb.RowGrad() == nil {
			t.Errorf("during training: dense grad %v, row-sparse %v", sparse.emb.Grad != nil, sparse.emb.RowGrad() != nil)
		}
		rowsSeen += sparse.emb.RowGrad().Len() // 0: emptied after the step
	}}
	if _, err := trs.Train(context.Background()); err != nil {
		t.Fatal(err)
	}
	if dense.emb.Grad == nil {
		t.Fatal("the dense run has no dense gradient: the comparison is vacuous")
	}
	if rowsSeen != 0 {
		t.Errorf("%d rows left in the row-sparse gradient after the steps", rowsSeen)
	}
	if sparse.emb.RowGrad() != nil {
		t.Error("row-sparse gradient still on after Train")
	}
	if equalBits(before, bagWeights(dense)) {
		t.Fatal("training did not change the weights")
	}
	if !equalBits(bagWeights(dense), bagWeights(sparse)) {
		t.Fatal("row-sparse and dense embedding gradients trained different weights")
	}
	clipped := 0
	for i, e := range trd.State.LogHistory {
		n, ok := e["grad_norm"]
		if !ok {
			continue
		}
		if n > ad.MaxGradNorm {
			clipped++
		}
		if m := trs.State.LogHistory[i]["grad_norm"]; math.Float64bits(m) != math.Float64bits(n) {
			t.Errorf("log %d: grad_norm %v sparse vs %v dense", i, m, n)
		}
	}
	if clipped == 0 || clipped == len(trd.State.LogHistory)-1 {
		t.Errorf("%d of %d steps clipped: the test needs both kinds", clipped, len(trd.State.LogHistory)-1)
	}
}

// TestTrainSparseEmbeddingGradResume: a run interrupted at step 5 and
// resumed from its checkpoint ends with the uninterrupted run's weights.
func TestTrainSparseEmbeddingGradResume(t *testing.T) {
	ref := newBagTask(37)
	a := toyArgs(t.TempDir())
	if _, err := (&Trainer{Args: &a, Task: ref}).Train(context.Background()); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b := toyArgs(dir)
	tr := &Trainer{Args: &b, Task: newBagTask(37), OnStep: func(s int) {
		if s == 5 {
			cancel()
		}
	}}
	if _, err := tr.Train(ctx); !errors.Is(err, ErrInterrupted) {
		t.Fatalf("want ErrInterrupted, got %v", err)
	}
	c := toyArgs(dir)
	c.ResumeFromCheckpoint = filepath.Join(dir, CheckpointName(5))
	resumed := newBagTask(37)
	if _, err := (&Trainer{Args: &c, Task: resumed}).Train(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !equalBits(bagWeights(ref), bagWeights(resumed)) {
		t.Fatal("interrupted + resumed run differs from the uninterrupted one")
	}
}

// TestTrainSparseEmbeddingGradMisuse: a table read by another op than the
// lookup cannot keep a row-sparse gradient; the step fails instead of
// dropping that op's contribution.
func TestTrainSparseEmbeddingGradMisuse(t *testing.T) {
	task := newBagTask(8)
	task.tied = true
	a := toyArgs(t.TempDir())
	_, err := (&Trainer{Args: &a, Task: task}).Train(context.Background())
	if err == nil || !strings.Contains(err.Error(), "embeddings.weight has a row-sparse gradient") {
		t.Fatalf("want the misuse error, got %v", err)
	}
}
