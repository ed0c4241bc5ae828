package train

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// RNGFile records what the data order and dropout depend on. The order is
// a pure function of (seed, epoch) and dropout of (seed, step), so this is
// a consistency check on resume rather than a generator dump.
const RNGFile = "rng_state.json"

type rngState struct {
	Seed                      int64 `json:"seed"`
	Epoch                     int   `json:"epoch"`
	StepInEpoch               int   `json:"step_in_epoch"`
	NumTrainExamples          int   `json:"num_train_examples"`
	PerDeviceTrainBatchSize   int   `json:"per_device_train_batch_size"`
	GradientAccumulationSteps int   `json:"gradient_accumulation_steps"`
}

// evaluate runs the task's evaluation, logs eval_* metrics, updates the
// early-stopping counter and the best metric (in HF's order: callbacks see
// the previous best).
func (t *Trainer) evaluate(ctx context.Context, final *map[string]float64) error {
	t.lastEvaluated = t.State.GlobalStep
	t0 := time.Now()
	m, ok, err := t.Task.Evaluate(ctx)
	if err != nil {
		return fmt.Errorf("evaluate at step %d: %w", t.State.GlobalStep, err)
	}
	if !ok {
		return nil
	}
	el := time.Since(t0).Seconds()
	e := LogEntry{}
	keys := make([]string, 0, len(m))
	for k, v := range m {
		e["eval_"+k] = v
		keys = append(keys, k)
	}
	sort.Strings(keys)
	e["eval_runtime"] = round4(el)
	if n, ok := m["num_samples"]; ok && el > 0 {
		e["eval_samples_per_second"] = round3(n / el)
	}
	t.addLog(e)
	*final = e
	var parts []string
	for _, k := range keys {
		if k == "num_samples" {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s %.4f", k, m[k]))
	}
	t.logf("eval step %d epoch %.2f: %s", t.State.GlobalStep, t.State.Epoch, strings.Join(parts, " "))

	key := t.Args.BestMetricKey()
	t.newBest = false
	if key == "" {
		return nil
	}
	v, ok := e[key]
	if !ok {
		return fmt.Errorf("metric_for_best_model %q is not among the evaluation metrics (%s)", t.Args.MetricForBestModel, strings.Join(keys, ", "))
	}
	greater := *t.Args.GreaterIsBetter
	best := t.State.BestMetric
	if p := t.Args.EarlyStoppingPatience; p > 0 {
		// HF EarlyStoppingCallback.check_metric_value.
		th := t.Args.EarlyStoppingThreshold
		improved := best == nil || (greater && v > *best+th) || (!greater && v < *best-th)
		c := t.State.patienceCounter()
		if improved {
			c = 0
		} else {
			c++
		}
		t.State.setPatienceCounter(t.Args, c)
		if c >= p {
			t.stop = true
			t.logf("early stopping: %s did not improve for %d evaluations", key, c)
		}
	}
	if best == nil || (greater && v > *best) || (!greater && v < *best) {
		vv := v
		t.State.BestMetric = &vv
		t.newBest = true
	}
	return nil
}

// saveCheckpoint writes output_dir/checkpoint-<step> atomically (a
// temporary folder renamed into place), then rotates old checkpoints
// (renamed to a hidden trash name, then deleted): a checkpoint folder is
// always complete or absent.
func (t *Trainer) saveCheckpoint() error {
	a := t.Args
	gs := t.State.GlobalStep
	t.lastSaved = gs
	final := filepath.Join(a.OutputDir, CheckpointName(gs))
	if t.newBest {
		// HF records the best checkpoint when it saves the step that
		// produced the best metric.
		p := final
		t.State.BestModelCheckpoint = &p
		t.newBest = false
	}
	// Remains of a killed save or rotation go before this one starts;
	// Train's caller should also run CleanCheckpointLeftovers before
	// resolving --resume-from-checkpoint last.
	if done, err := CleanCheckpointLeftovers(a.OutputDir); err != nil {
		return fmt.Errorf("save %s: cleaning leftovers: %w", filepath.Base(final), err)
	} else if len(done) > 0 {
		t.logf("cleaned checkpoint leftovers: %s", strings.Join(done, ", "))
	}
	tmp := final + tmpSuffix
	os.RemoveAll(tmp)
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return err
	}
	fail := func(err error) error {
		os.RemoveAll(tmp)
		return fmt.Errorf("save %s: %w", filepath.Base(final), err)
	}
	if err := t.Task.SaveModel(tmp); err != nil {
		return fail(err)
	}
	if err := t.opt.save(tmp); err != nil {
		return fail(err)
	}
	if err := SaveArgs(filepath.Join(tmp, ArgsFile), a); err != nil {
		return fail(err)
	}
	rs := rngState{
		Seed: a.Seed, Epoch: gs / t.stepsPerEpoch, StepInEpoch: gs % t.stepsPerEpoch,
		NumTrainExamples: t.Task.NumTrain(), PerDeviceTrainBatchSize: a.PerDeviceTrainBatchSize,
		GradientAccumulationSteps: a.GradientAccumulationSteps,
	}
	b, _ := json.MarshalIndent(rs, "", "  ")
	if err := WriteFileAtomic(filepath.Join(tmp, RNGFile), append(b, '\n')); err != nil {
		return fail(err)
	}
	if err := SaveState(filepath.Join(tmp, StateFile), t.State); err != nil {
		return fail(err)
	}
	syncDir(tmp)
	if err := commitDir(tmp, final); err != nil {
		return fail(err)
	}
	best := ""
	if t.State.BestModelCheckpoint != nil {
		best = *t.State.BestModelCheckpoint
	}
	if err := rotateCheckpoints(a.OutputDir, a.SaveTotalLimit, best); err != nil {
		return err
	}
	t.logf("saved %s", filepath.Base(final))
	return nil
}

// interrupt saves a checkpoint at the current step (unless one exists)
// and returns ErrInterrupted naming it for --resume-from-checkpoint.
func (t *Trainer) interrupt() error {
	t.prog.clear()
	if t.State.GlobalStep == 0 {
		return fmt.Errorf("%w before the first step; nothing to save", ErrInterrupted)
	}
	if t.lastSaved != t.State.GlobalStep {
		if err := t.saveCheckpoint(); err != nil {
			return fmt.Errorf("%w; saving a checkpoint failed: %v", ErrInterrupted, err)
		}
	}
	return fmt.Errorf("%w at step %d; resume with --resume-from-checkpoint %s", ErrInterrupted,
		t.State.GlobalStep, filepath.Join(t.Args.OutputDir, CheckpointName(t.State.GlobalStep)))
}

// resume restores weights, optimizer and scheduler position, and the
// trainer state from a checkpoint folder, checking that the data and batch
// layout match so the example order continues exactly.
func (t *Trainer) resume(dir string) error {
	st, err := LoadState(filepath.Join(dir, StateFile))
	if err != nil {
		return err
	}
	b, err := os.ReadFile(filepath.Join(dir, RNGFile))
	if err != nil {
		return err
	}
	var rs rngState
	if err := json.Unmarshal(b, &rs); err != nil {
		return fmt.Errorf("%s: %w", RNGFile, err)
	}
	a := t.Args
	switch {
	case rs.NumTrainExamples != t.Task.NumTrain():
		return fmt.Errorf("the checkpoint was trained on %d examples, this training set has %d", rs.NumTrainExamples, t.Task.NumTrain())
	case rs.PerDeviceTrainBatchSize != a.PerDeviceTrainBatchSize:
		return fmt.Errorf("per_device_train_batch_size %d differs from the checkpoint's %d", a.PerDeviceTrainBatchSize, rs.PerDeviceTrainBatchSize)
	case rs.GradientAccumulationSteps != a.GradientAccumulationSteps:
		return fmt.Errorf("gradient_accumulation_steps %d differs from the checkpoint's %d", a.GradientAccumulationSteps, rs.GradientAccumulationSteps)
	case rs.Seed != a.Seed:
		return fmt.Errorf("seed %d differs from the checkpoint's %d", a.Seed, rs.Seed)
	}
	if st.GlobalStep > t.totalSteps {
		return fmt.Errorf("the checkpoint is at step %d, past this run's %d steps", st.GlobalStep, t.totalSteps)
	}
	if err := t.Task.LoadWeights(dir); err != nil {
		return err
	}
	if err := t.opt.load(dir); err != nil {
		return err
	}
	st.MaxSteps, st.NumTrainEpochs = t.totalSteps, t.numEpochs
	st.EvalSteps, st.LoggingSteps, st.SaveSteps = a.EvalSteps, a.LoggingSteps, a.SaveSteps
	if st.LogHistory == nil {
		st.LogHistory = []LogEntry{}
	}
	t.State = st
	return writeMetricsLog(filepath.Join(a.OutputDir, MetricsLogFile), st.LogHistory)
}
