package train

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medbert/medbert/tensor"
)

// toyTask is a softmax-regression task on synthetic data: small enough to
// run many trainings in a test, and it uses the step RNG (input dropout) so
// resume must restore the random stream too.
type toyTask struct {
	x        [][]float32
	y        []int
	w, b     *tensor.Tensor
	evalOut  []float64 // scripted eval metric "score", one per evaluation
	nEval    int
	loaded   []string // folders LoadWeights read
	dropoutP float32
}

func newToyTask(n int) *toyTask {
	r := rand.New(rand.NewPCG(1, 2))
	const d, c = 6, 3
	t := &toyTask{dropoutP: 0.2}
	for i := 0; i < n; i++ {
		row := make([]float32, d)
		lab := i % c
		for j := range row {
			row[j] = float32(r.NormFloat64())
		}
		row[lab] += 2
		t.x = append(t.x, row)
		t.y = append(t.y, lab)
	}
	w := make([]float32, c*d)
	for i := range w {
		w[i] = float32(r.NormFloat64() * 0.1)
	}
	t.w = tensor.New(w, c, d)
	t.b = tensor.Zeros(c)
	return t
}

func (t *toyTask) Params() []NamedParam {
	return []NamedParam{{"classifier.weight", t.w}, {"classifier.bias", t.b}}
}
func (t *toyTask) NumTrain() int { return len(t.x) }

func (t *toyTask) batch(idx []int) (*tensor.Tensor, []int) {
	d := len(t.x[0])
	xs := make([]float32, 0, len(idx)*d)
	var ys []int
	for _, i := range idx {
		xs = append(xs, t.x[i]...)
		ys = append(ys, t.y[i])
	}
	return tensor.New(xs, len(idx), d), ys
}

func (t *toyTask) Loss(idx []int, rng *rand.Rand) (*tensor.Tensor, error) {
	x, y := t.batch(idx)
	x = tensor.Dropout(x, t.dropoutP, rng)
	return tensor.CrossEntropy(tensor.Linear(x, t.w, t.b), y, -100, nil), nil
}

func (t *toyTask) Evaluate(ctx context.Context) (map[string]float64, bool, error) {
	all := make([]int, len(t.x))
	for i := range all {
		all[i] = i
	}
	x, y := t.batch(all)
	l := tensor.CrossEntropy(tensor.Linear(x, t.w.Detach(), t.b.Detach()), y, -100, nil)
	m := map[string]float64{"loss": float64(l.Item()), "num_samples": float64(len(all))}
	if t.nEval < len(t.evalOut) {
		m["score"] = t.evalOut[t.nEval]
	}
	t.nEval++
	return m, true, nil
}

func (t *toyTask) SaveModel(dir string) error {
	return saveParamsFile(filepath.Join(dir, "toy.bin"), t.Params())
}

// saveParamsFile and loadParamsFile store the test tasks' parameters as
// raw little-endian float32 bits, in Params order.
func saveParamsFile(path string, params []NamedParam) error {
	var buf []byte
	for _, p := range params {
		for _, v := range p.T.Data {
			buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
		}
	}
	return WriteFileAtomic(path, buf)
}

func loadParamsFile(path string, params []NamedParam) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	for _, p := range params {
		for i := range p.T.Data {
			p.T.Data[i] = math.Float32frombits(binary.LittleEndian.Uint32(b))
			b = b[4:]
		}
	}
	return nil
}

func (t *toyTask) LoadWeights(dir string) error {
	if err := loadParamsFile(filepath.Join(dir, "toy.bin"), t.Params()); err != nil {
		return err
	}
	t.loaded = append(t.loaded, filepath.Base(dir))
	return nil
}

func weightsOf(t *toyTask) []uint32 {
	var out []uint32
	for _, p := range t.Params() {
		for _, v := range p.T.Data {
			out = append(out, math.Float32bits(v))
		}
	}
	return out
}

func toyArgs(dir string) Args {
	a := Defaults()
	a.OutputDir = dir
	a.NumTrainEpochs = 3
	a.PerDeviceTrainBatchSize = 4
	a.GradientAccumulationSteps = 2
	a.LearningRate = 0.05
	a.WeightDecay = 0.01
	a.WarmupRatio = 0.2
	a.LoggingSteps = 2
	a.SaveSteps = 3
	a.DisableProgressBar = true
	return a
}

func runToy(t *testing.T, a Args, task *toyTask, onStep func(int)) (*Result, error) {
	t.Helper()
	tr := &Trainer{Args: &a, Task: task, OnStep: onStep}
	return tr.Train(context.Background())
}

func equalBits(a, b []uint32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestTrainDeterministic(t *testing.T) {
	// 37 examples, batch 4: 10 batches, 5 steps per epoch with
	// accumulation 2; the last batch is partial.
	t1, t2 := newToyTask(37), newToyTask(37)
	before := weightsOf(t1)
	r1, err := runToy(t, toyArgs(t.TempDir()), t1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := runToy(t, toyArgs(t.TempDir()), t2, nil); err != nil {
		t.Fatal(err)
	}
	if r1.GlobalStep != 15 {
		t.Errorf("global step %d, want 3 epochs x 5 = 15", r1.GlobalStep)
	}
	if equalBits(before, weightsOf(t1)) {
		t.Fatal("training did not change the weights")
	}
	if !equalBits(weightsOf(t1), weightsOf(t2)) {
		t.Fatal("two runs with the same seed gave different weights")
	}
	t3 := newToyTask(37)
	a := toyArgs(t.TempDir())
	a.Seed = 7
	if _, err := runToy(t, a, t3, nil); err != nil {
		t.Fatal(err)
	}
	if equalBits(weightsOf(t1), weightsOf(t3)) {
		t.Fatal("a different seed gave identical weights")
	}
}

func TestTrainResumeBitIdentical(t *testing.T) {
	ref := newToyTask(37)
	if _, err := runToy(t, toyArgs(t.TempDir()), ref, nil); err != nil {
		t.Fatal(err)
	}
	// Interrupt after step 7 (mid-epoch 2, not a save step) as Ctrl-C
	// would, then resume from the checkpoint the interrupt wrote.
	for _, stopAt := range []int{5, 7} {
		dir := t.TempDir()
		ctx, cancel := context.WithCancel(context.Background())
		a := toyArgs(dir)
		tr := &Trainer{Args: &a, Task: newToyTask(37), OnStep: func(s int) {
			if s == stopAt {
				cancel()
			}
		}}
		_, err := tr.Train(ctx)
		cancel()
		if !errors.Is(err, ErrInterrupted) {
			t.Fatalf("want ErrInterrupted, got %v", err)
		}
		ck := filepath.Join(dir, CheckpointName(stopAt))
		if !strings.Contains(err.Error(), ck) {
			t.Errorf("error %q does not name %s", err, ck)
		}
		b := toyArgs(dir)
		b.ResumeFromCheckpoint = ck
		resumed := newToyTask(37) // fresh initial weights, as a new process
		res, err := runToy(t, b, resumed, nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.GlobalStep != 15 {
			t.Errorf("resumed run ended at step %d", res.GlobalStep)
		}
		if !equalBits(weightsOf(ref), weightsOf(resumed)) {
			t.Fatalf("stop at %d + resume differs from the uninterrupted run", stopAt)
		}
		st, err := LoadState(filepath.Join(dir, StateFile))
		if err != nil {
			t.Fatal(err)
		}
		if st.GlobalStep != 15 || st.LogHistory[0]["step"] != 2 {
			t.Errorf("state after resume: step %d, first log %v", st.GlobalStep, st.LogHistory[0])
		}
	}
}

func TestResumeRejectsDifferentData(t *testing.T) {
	dir := t.TempDir()
	a := toyArgs(dir)
	a.MaxSteps = 3
	if _, err := runToy(t, a, newToyTask(37), nil); err != nil {
		t.Fatal(err)
	}
	b := toyArgs(dir)
	b.ResumeFromCheckpoint = filepath.Join(dir, CheckpointName(3))
	if _, err := runToy(t, b, newToyTask(30), nil); err == nil || !strings.Contains(err.Error(), "37 examples") {
		t.Fatalf("want a data-size mismatch error, got %v", err)
	}
}

func TestBestModelRotationAndEarlyStopping(t *testing.T) {
	dir := t.TempDir()
	a := toyArgs(dir)
	a.NumTrainEpochs = 20
	a.EvalStrategy, a.SaveStrategy = StrategySteps, StrategySteps
	a.EvalSteps, a.SaveSteps = 2, 2
	a.SaveTotalLimit = 1
	a.LoadBestModelAtEnd = true
	a.MetricForBestModel = "score"
	a.EarlyStoppingPatience = 3
	task := newToyTask(37)
	// Best at the 2nd evaluation (step 4); then 3 evaluations without
	// improvement stop training at step 10.
	task.evalOut = []float64{0.5, 0.9, 0.8, 0.9, 0.7, 0.95}
	res, err := runToy(t, a, task, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !res.EarlyStopped || res.GlobalStep != 10 {
		t.Fatalf("early stop: stopped=%v at step %d, want true at 10", res.EarlyStopped, res.GlobalStep)
	}
	best := filepath.Join(dir, CheckpointName(4))
	if res.BestModelCheckpoint != best || *res.BestMetric != 0.9 {
		t.Errorf("best %s %v, want %s 0.9", res.BestModelCheckpoint, *res.BestMetric, best)
	}
	cks, _ := ListCheckpoints(dir)
	want := []string{best, filepath.Join(dir, CheckpointName(10))}
	if fmt.Sprint(cks) != fmt.Sprint(want) {
		t.Errorf("checkpoints %v, want %v (limit 1 keeps best and newest)", cks, want)
	}
	if len(task.loaded) != 1 || task.loaded[0] != CheckpointName(4) {
		t.Errorf("load_best_model_at_end loaded %v", task.loaded)
	}
	// The final model in output_dir is the best one.
	fin, _ := os.ReadFile(filepath.Join(dir, "toy.bin"))
	bst, _ := os.ReadFile(filepath.Join(best, "toy.bin"))
	if string(fin) != string(bst) {
		t.Error("final model differs from the best checkpoint")
	}
}

func TestStateFileLayout(t *testing.T) {
	dir := t.TempDir()
	a := toyArgs(dir)
	a.EvalStrategy = StrategyEpoch
	if _, err := runToy(t, a, newToyTask(37), nil); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, StateFile))
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"best_metric", "best_model_checkpoint", "epoch", "global_step", "log_history",
		"logging_steps", "max_steps", "num_train_epochs", "save_steps", "train_batch_size", "total_flos"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("trainer_state.json lacks %q", k)
		}
	}
	st, _ := LoadState(filepath.Join(dir, StateFile))
	var nTrain, nEval int
	for _, e := range st.LogHistory {
		if _, ok := e["loss"]; ok {
			nTrain++
			if e["learning_rate"] < 0 || e["grad_norm"] <= 0 {
				t.Errorf("bad train log %v", e)
			}
		}
		if _, ok := e["eval_loss"]; ok {
			nEval++
		}
	}
	if nTrain != 7 || nEval != 3 {
		t.Errorf("%d train logs (want 7: steps 2..14) and %d evals (want 3 epochs)", nTrain, nEval)
	}
	last := st.LogHistory[len(st.LogHistory)-1]
	if _, ok := last["train_runtime"]; !ok {
		t.Errorf("last entry is not the train summary: %v", last)
	}
	lines, _ := os.ReadFile(filepath.Join(dir, MetricsLogFile))
	if n := strings.Count(string(lines), "\n"); n != len(st.LogHistory) {
		t.Errorf("metrics.jsonl has %d lines, log_history %d entries", n, len(st.LogHistory))
	}
	for _, f := range []string{ArgsFile, StateFile, RNGFile, "toy.bin"} {
		if _, err := os.Stat(filepath.Join(dir, CheckpointName(15), f)); err != nil {
			t.Errorf("checkpoint-15 lacks %s", f)
		}
	}
}
