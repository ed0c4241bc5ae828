package train

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/medbert/medbert/tensor"
)

// ErrInterrupted is returned (wrapped, with the checkpoint path) when the
// context is cancelled, e.g. by Ctrl-C; a checkpoint was saved first.
var ErrInterrupted = errors.New("training interrupted")

// Trainer runs the optimisation loop of a Task with Args.
type Trainer struct {
	Args *Args
	Task Task
	// Log receives plain log lines and, on a terminal, the progress bar.
	// nil discards.
	Log io.Writer
	// OnStep, if set, runs after every optimizer step (tests use it to
	// cancel the context at a chosen step).
	OnStep func(step int)

	State  *State
	params []NamedParam
	opt    *optimizer
	prog   *progress

	totalSteps      int
	stepsPerEpoch   int
	batchesPerEpoch int
	numEpochs       int
	lossSinceLog    float64
	stepsSinceLog   int
	trainLossSum    float64
	lastSaved       int
	lastEvaluated   int
	newBest         bool // the last evaluation set a new best metric
	stop            bool // early stopping fired
}

// Result summarises a finished run.
type Result struct {
	GlobalStep          int
	TrainLoss           float64 // mean loss over all steps of this process
	Runtime             time.Duration
	SamplesPerSecond    float64
	BestModelCheckpoint string
	BestMetric          *float64
	EarlyStopped        bool
	FinalEval           map[string]float64 // last evaluation, if any
}

func (t *Trainer) logf(format string, v ...any) {
	if t.Log == nil {
		return
	}
	if t.prog != nil {
		t.prog.clear()
	}
	fmt.Fprintf(t.Log, format+"\n", v...)
}

// plan computes steps per epoch, total optimizer steps and epochs.
// Batches follow a DataLoader without drop_last; a partial accumulation
// window at the end of an epoch still makes an optimizer step.
func (t *Trainer) plan() error {
	a := t.Args
	n := t.Task.NumTrain()
	if n == 0 {
		return errors.New("the training set is empty")
	}
	t.batchesPerEpoch = ceilDiv(n, a.PerDeviceTrainBatchSize)
	t.stepsPerEpoch = ceilDiv(t.batchesPerEpoch, a.GradientAccumulationSteps)
	if a.MaxSteps > 0 {
		t.totalSteps = a.MaxSteps
		t.numEpochs = ceilDiv(a.MaxSteps, t.stepsPerEpoch)
	} else {
		t.totalSteps = int(math.Ceil(a.NumTrainEpochs * float64(t.stepsPerEpoch)))
		t.numEpochs = int(math.Ceil(a.NumTrainEpochs))
	}
	if t.totalSteps < 1 {
		t.totalSteps = 1
	}
	return nil
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// Train runs the loop until the planned steps are done, early stopping
// fires or ctx is cancelled (then it saves a checkpoint and returns an
// error wrapping ErrInterrupted).
func (t *Trainer) Train(ctx context.Context) (*Result, error) {
	a := t.Args
	if err := a.Validate(); err != nil {
		return nil, err
	}
	if err := t.plan(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(a.OutputDir, 0o755); err != nil {
		return nil, err
	}
	if s, ok := t.Task.(SparseEmbeddingGrader); ok && s.SetSparseEmbeddingGrad(true) {
		defer s.SetSparseEmbeddingGrad(false)
	}
	t.params = t.Task.Params()
	for _, p := range t.params {
		p.T.SetRequiresGrad(true)
		if p.T.RowGrad() != nil {
			// Row-sparse (an embedding table): no dense buffer at all.
			p.T.Grad = nil
			p.T.ZeroGrad()
			continue
		}
		// Gradients live in fixed buffers so the optimizer can hold them.
		if p.T.Grad == nil {
			p.T.Grad = make([]float32, len(p.T.Data))
		}
		clear(p.T.Grad) // no stale gradient from earlier use of the model
	}
	opt, err := newOptimizer(a, t.params, t.totalSteps)
	if err != nil {
		return nil, err
	}
	t.opt = opt
	t.State = &State{
		EvalSteps: a.EvalSteps, LoggingSteps: a.LoggingSteps, SaveSteps: a.SaveSteps,
		MaxSteps: t.totalSteps, NumTrainEpochs: t.numEpochs, TrainBatchSize: a.PerDeviceTrainBatchSize,
		IsLocalProcessZero: true, IsWorldProcessZero: true, LogHistory: []LogEntry{},
	}
	if a.ResumeFromCheckpoint != "" {
		if err := t.resume(a.ResumeFromCheckpoint); err != nil {
			return nil, fmt.Errorf("resume from %s: %w", filepath.Base(a.ResumeFromCheckpoint), err)
		}
	} else if err := writeMetricsLog(filepath.Join(a.OutputDir, MetricsLogFile), nil); err != nil {
		return nil, err
	}
	start := time.Now()
	startStep := t.State.GlobalStep
	t.lastSaved, t.lastEvaluated = startStep, startStep
	t.prog = newProgress(t.Log, t.totalSteps, startStep, a.DisableProgressBar)
	t.logf("training: %d examples, %d epochs, batch %d x %d accumulation, %d optimizer steps (%d per epoch)",
		t.Task.NumTrain(), t.numEpochs, a.PerDeviceTrainBatchSize, a.GradientAccumulationSteps, t.totalSteps, t.stepsPerEpoch)
	if startStep > 0 {
		t.logf("resumed at step %d (epoch %.2f)", startStep, t.State.Epoch)
	}

	var final map[string]float64
	err = t.loop(ctx, &final)
	if err != nil {
		return nil, err
	}
	res := &Result{
		GlobalStep: t.State.GlobalStep, Runtime: time.Since(start), EarlyStopped: t.stop,
		BestMetric: t.State.BestMetric, FinalEval: final,
	}
	if steps := t.State.GlobalStep - startStep; steps > 0 {
		res.TrainLoss = t.trainLossSum / float64(steps)
	}
	res.SamplesPerSecond = t.prog.rate()
	if t.State.BestModelCheckpoint != nil {
		res.BestModelCheckpoint = *t.State.BestModelCheckpoint
	}
	if a.LoadBestModelAtEnd && res.BestModelCheckpoint != "" {
		t.logf("loading best model from %s (%s = %.6g)", filepath.Base(res.BestModelCheckpoint), a.BestMetricKey(), *res.BestMetric)
		if err := t.Task.LoadWeights(res.BestModelCheckpoint); err != nil {
			return nil, fmt.Errorf("load best model: %w", err)
		}
	}
	el := res.Runtime.Seconds()
	t.addLog(LogEntry{
		"train_runtime": round4(el), "train_samples_per_second": round3(res.SamplesPerSecond),
		"train_steps_per_second": round3(float64(t.State.GlobalStep-startStep) / el),
		"train_loss":             res.TrainLoss, "total_flos": 0,
	})
	// The final model goes to output_dir itself, as trainer.save_model().
	if err := t.Task.SaveModel(a.OutputDir); err != nil {
		return nil, fmt.Errorf("save final model: %w", err)
	}
	if err := SaveArgs(filepath.Join(a.OutputDir, ArgsFile), a); err != nil {
		return nil, err
	}
	if err := SaveState(filepath.Join(a.OutputDir, StateFile), t.State); err != nil {
		return nil, err
	}
	return res, nil
}

func round3(x float64) float64 { return math.Round(x*1e3) / 1e3 }
func round4(x float64) float64 { return math.Round(x*1e4) / 1e4 }

// loop runs epochs from the current global step.
func (t *Trainer) loop(ctx context.Context, final *map[string]float64) error {
	a := t.Args
	n := t.Task.NumTrain()
	bs := a.PerDeviceTrainBatchSize
	for epoch := t.State.GlobalStep / t.stepsPerEpoch; epoch < t.numEpochs; epoch++ {
		order := EpochOrder(a.Seed, epoch, n)
		first := t.State.GlobalStep - epoch*t.stepsPerEpoch // steps of this epoch already done
		for s := first; s < t.stepsPerEpoch; s++ {
			if t.State.GlobalStep >= t.totalSteps || t.stop {
				break
			}
			if err := ctx.Err(); err != nil {
				return t.interrupt()
			}
			b0 := s * a.GradientAccumulationSteps
			b1 := min(b0+a.GradientAccumulationSteps, t.batchesPerEpoch)
			var batches [][]int
			for b := b0; b < b1; b++ {
				batches = append(batches, order[b*bs:min((b+1)*bs, n)])
			}
			loss, seqs, err := t.step(batches)
			if err != nil {
				return fmt.Errorf("step %d: %w", t.State.GlobalStep+1, err)
			}
			t.State.Epoch = float64(epoch) + float64(s+1)/float64(t.stepsPerEpoch)
			t.prog.update(t.State.GlobalStep, loss, t.opt.lastLR, seqs)
			if err := t.afterStep(ctx, loss, s+1 == t.stepsPerEpoch, final); err != nil {
				if ctx.Err() != nil {
					// Cancelled during an evaluation: the step is
					// complete, so it can still be checkpointed.
					return t.interrupt()
				}
				return err
			}
			if t.OnStep != nil {
				t.OnStep(t.State.GlobalStep)
			}
		}
		if t.State.GlobalStep >= t.totalSteps || t.stop {
			break
		}
	}
	t.prog.clear()
	// Training is over: make sure the last state is evaluated and saved
	// (HF saves at the end whenever a save strategy is set).
	if a.EvalStrategy != StrategyNo && t.lastEvaluated != t.State.GlobalStep {
		if err := t.evaluate(ctx, final); err != nil {
			return err
		}
	}
	if a.SaveStrategy != StrategyNo && t.lastSaved != t.State.GlobalStep {
		if err := t.saveCheckpoint(); err != nil {
			return err
		}
	}
	return nil
}

// step runs one optimizer step over the micro-batches: forward, backward
// with the loss divided by the number of micro-batches (so the gradient is
// the mean over the window), clip, AdamW with the scheduled rate, zero grad.
func (t *Trainer) step(batches [][]int) (loss float64, seqs int, err error) {
	rng := StepRNG(t.Args.Seed, t.State.GlobalStep)
	for _, idx := range batches {
		l, err := t.Task.Loss(idx, rng)
		if err != nil {
			return 0, 0, err
		}
		v := float64(l.Item())
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, 0, fmt.Errorf("loss is %v (learning rate too high or bad data?)", v)
		}
		if len(batches) > 1 {
			l = tensor.Scale(l, 1/float32(len(batches)))
		}
		l.Backward()
		l.FreeGraph() // hand the micro-batch's activations back to the buffer pool
		loss += v / float64(len(batches))
		seqs += len(idx)
	}
	for _, p := range t.params {
		if p.T.RowGrad() != nil && p.T.Grad != nil {
			// An op other than the embedding lookup read the table: its
			// dense contribution would be lost (tensor.SetRowSparseGrad).
			return 0, 0, fmt.Errorf("%s has a row-sparse gradient but an op other than the embedding lookup used it", p.Name)
		}
	}
	if err := t.opt.step(t.State.GlobalStep); err != nil {
		return 0, 0, err
	}
	for _, p := range t.params {
		p.T.ZeroGrad() // the dense buffer, or the row-sparse gradient's rows
	}
	t.State.GlobalStep++
	t.lossSinceLog += loss
	t.stepsSinceLog++
	t.trainLossSum += loss
	return loss, seqs, nil
}

// afterStep logs, evaluates, saves and checks early stopping according to
// the strategies (HF DefaultFlowCallback order: log, evaluate, save).
func (t *Trainer) afterStep(ctx context.Context, loss float64, epochEnd bool, final *map[string]float64) error {
	a := t.Args
	gs := t.State.GlobalStep
	last := gs >= t.totalSteps
	if (a.LoggingStrategy == StrategySteps && gs%a.LoggingSteps == 0) ||
		(a.LoggingStrategy == StrategyEpoch && epochEnd) || (a.LoggingFirstStep && gs == 1) {
		t.logTrain()
	}
	if (a.EvalStrategy == StrategySteps && gs%a.EvalSteps == 0) || (a.EvalStrategy == StrategyEpoch && epochEnd) ||
		(last && a.EvalStrategy != StrategyNo) {
		if err := t.evaluate(ctx, final); err != nil {
			return err
		}
	}
	if (a.SaveStrategy == StrategySteps && gs%a.SaveSteps == 0) || (a.SaveStrategy == StrategyEpoch && epochEnd) ||
		(last && a.SaveStrategy != StrategyNo) {
		if err := t.saveCheckpoint(); err != nil {
			return err
		}
	}
	return nil
}

func (t *Trainer) logTrain() {
	if t.stepsSinceLog == 0 {
		return
	}
	e := LogEntry{
		"loss":          round4(t.lossSinceLog / float64(t.stepsSinceLog)),
		"grad_norm":     t.opt.lastNorm,
		"learning_rate": t.opt.lrAt(t.State.GlobalStep),
	}
	t.lossSinceLog, t.stepsSinceLog = 0, 0
	t.addLog(e)
	t.logf("step %d/%d epoch %.2f loss %.4f lr %.3g grad_norm %.3g", t.State.GlobalStep, t.totalSteps,
		t.State.Epoch, e["loss"], e["learning_rate"], e["grad_norm"])
}

// addLog stamps step and epoch, appends to log_history and the JSONL log.
func (t *Trainer) addLog(e LogEntry) {
	e["step"] = float64(t.State.GlobalStep)
	e["epoch"] = round4(t.State.Epoch)
	t.State.LogHistory = append(t.State.LogHistory, e)
	if err := appendMetricsLog(filepath.Join(t.Args.OutputDir, MetricsLogFile), e); err != nil {
		t.logf("warning: metrics log: %v", err)
	}
}
