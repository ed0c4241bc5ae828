package main

import (
	"flag"
	"fmt"
	"strconv"
	"strings"

	"github.com/medbert/medbert/train"
)

// optBool is a tri-state boolean flag (unset, true, false), for HF options
// whose default depends on other options (greater_is_better).
type optBool struct{ p **bool }

func (o optBool) String() string {
	if o.p == nil || *o.p == nil {
		return ""
	}
	return strconv.FormatBool(**o.p)
}

func (o optBool) Set(s string) error {
	v, err := strconv.ParseBool(s)
	if err != nil {
		return fmt.Errorf("want true or false, got %q", s)
	}
	*o.p = &v
	return nil
}

func (o optBool) IsBoolFlag() bool { return true }

// classWeightsFlag accepts "balanced" (n_samples / (n_classes * count), as
// sklearn's compute_class_weight) or a comma-separated list in label-id order.
type classWeightsFlag struct {
	balanced bool
	weights  []float64
}

func (c *classWeightsFlag) String() string {
	if c.balanced {
		return "balanced"
	}
	s := make([]string, len(c.weights))
	for i, w := range c.weights {
		s[i] = strconv.FormatFloat(w, 'g', -1, 64)
	}
	return strings.Join(s, ",")
}

func (c *classWeightsFlag) Set(s string) error {
	if s == "balanced" {
		c.balanced, c.weights = true, nil
		return nil
	}
	c.balanced = false
	c.weights = nil
	for _, f := range strings.Split(s, ",") {
		w, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || w < 0 {
			return fmt.Errorf("want \"balanced\" or comma-separated non-negative numbers, got %q", f)
		}
		c.weights = append(c.weights, w)
	}
	return nil
}

// bindTrainingArgs registers the HF TrainingArguments flags (kebab-case of
// the HF names) on fs, writing into a.
func bindTrainingArgs(fs *flag.FlagSet, a *train.Args, cw *classWeightsFlag) {
	fs.StringVar(&a.OutputDir, "output-dir", a.OutputDir, "folder for checkpoints, logs and the final model")
	fs.Float64Var(&a.NumTrainEpochs, "num-train-epochs", a.NumTrainEpochs, "number of training epochs (fractions allowed)")
	fs.IntVar(&a.MaxSteps, "max-steps", a.MaxSteps, "total optimizer steps; > 0 overrides --num-train-epochs")
	fs.IntVar(&a.PerDeviceTrainBatchSize, "per-device-train-batch-size", a.PerDeviceTrainBatchSize, "training batch size")
	fs.IntVar(&a.PerDeviceTrainBatchSize, "batch-size", a.PerDeviceTrainBatchSize, "alias of --per-device-train-batch-size")
	fs.IntVar(&a.PerDeviceEvalBatchSize, "per-device-eval-batch-size", a.PerDeviceEvalBatchSize, "evaluation batch size")
	fs.IntVar(&a.GradientAccumulationSteps, "gradient-accumulation-steps", a.GradientAccumulationSteps, "micro-batches per optimizer step")
	fs.Float64Var(&a.LearningRate, "learning-rate", a.LearningRate, "peak AdamW learning rate")
	fs.Float64Var(&a.WeightDecay, "weight-decay", a.WeightDecay, "AdamW decoupled weight decay (not on biases and LayerNorm weights)")
	fs.Float64Var(&a.AdamBeta1, "adam-beta1", a.AdamBeta1, "AdamW beta1")
	fs.Float64Var(&a.AdamBeta2, "adam-beta2", a.AdamBeta2, "AdamW beta2")
	fs.Float64Var(&a.AdamEpsilon, "adam-epsilon", a.AdamEpsilon, "AdamW epsilon")
	fs.Float64Var(&a.MaxGradNorm, "max-grad-norm", a.MaxGradNorm, "global gradient-norm clipping threshold (0 = off)")
	fs.StringVar(&a.LRSchedulerType, "lr-scheduler-type", a.LRSchedulerType, "linear, cosine, constant or constant_with_warmup")
	fs.Float64Var(&a.WarmupRatio, "warmup-ratio", a.WarmupRatio, "fraction of steps for linear warmup")
	fs.IntVar(&a.WarmupSteps, "warmup-steps", a.WarmupSteps, "warmup steps (> 0 overrides --warmup-ratio)")
	fs.StringVar(&a.LoggingStrategy, "logging-strategy", a.LoggingStrategy, "no, steps or epoch")
	fs.IntVar(&a.LoggingSteps, "logging-steps", a.LoggingSteps, "log every N steps")
	fs.BoolVar(&a.LoggingFirstStep, "logging-first-step", a.LoggingFirstStep, "also log the first step")
	fs.StringVar(&a.EvalStrategy, "eval-strategy", a.EvalStrategy, "no, steps or epoch")
	fs.StringVar(&a.EvalStrategy, "evaluation-strategy", a.EvalStrategy, "deprecated HF alias of --eval-strategy")
	fs.IntVar(&a.EvalSteps, "eval-steps", a.EvalSteps, "evaluate every N steps (default: --logging-steps)")
	fs.StringVar(&a.SaveStrategy, "save-strategy", a.SaveStrategy, "no, steps or epoch")
	fs.IntVar(&a.SaveSteps, "save-steps", a.SaveSteps, "save a checkpoint every N steps")
	fs.IntVar(&a.SaveTotalLimit, "save-total-limit", a.SaveTotalLimit, "keep at most N checkpoints (never deleting the best; 0 = all)")
	fs.BoolVar(&a.LoadBestModelAtEnd, "load-best-model-at-end", a.LoadBestModelAtEnd, "reload the best checkpoint at the end")
	fs.StringVar(&a.MetricForBestModel, "metric-for-best-model", a.MetricForBestModel, "metric that picks the best model, e.g. f1_macro (default loss)")
	fs.Var(optBool{&a.GreaterIsBetter}, "greater-is-better", "whether a larger metric is better (default: false for loss, true otherwise)")
	fs.IntVar(&a.EarlyStoppingPatience, "early-stopping-patience", a.EarlyStoppingPatience, "stop after N evaluations without improvement (0 = off)")
	fs.Float64Var(&a.EarlyStoppingThreshold, "early-stopping-threshold", a.EarlyStoppingThreshold, "minimum improvement that resets the patience")
	fs.Int64Var(&a.Seed, "seed", a.Seed, "random seed (initialisation, data order, dropout)")
	fs.IntVar(&a.MaxSeqLength, "max-seq-length", a.MaxSeqLength, "truncate inputs to N tokens")
	fs.StringVar(&a.ResumeFromCheckpoint, "resume-from-checkpoint", "", "checkpoint folder to resume from, or \"last\" for the newest in --output-dir")
	fs.BoolVar(&a.DisableProgressBar, "disable-tqdm", a.DisableProgressBar, "no progress bar, plain log lines only")
	fs.Var(cw, "class-weights", "cross-entropy class weights: \"balanced\" or w0,w1,... in label-id order")
}
