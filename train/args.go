// Package train fine-tunes models: the Trainer loop (epochs or max steps,
// gradient accumulation, clipping, AdamW + schedule, evaluation and
// checkpoint strategies, best-model tracking, early stopping, resume) and the
// on-disk layout Hugging Face users know (checkpoint-<step> folders,
// trainer_state.json, training_args.json).
//
// The loop knows nothing about a particular head: a Task builds batches,
// computes the loss and turns predictions into metrics, so token
// classification and QA plug in beside sequence classification.
package train

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"

	"github.com/medbert/medbert/internal/suggest"
)

// Strategy values for eval/save/logging strategies, as in HF IntervalStrategy.
const (
	StrategyNo    = "no"
	StrategySteps = "steps"
	StrategyEpoch = "epoch"
)

// Args mirrors transformers.TrainingArguments (JSON names are HF's, so a
// training_args.json reads the same) plus the run_glue.py data options the
// CLI needs. Defaults() gives HF's defaults.
type Args struct {
	OutputDir string `json:"output_dir"`

	NumTrainEpochs            float64 `json:"num_train_epochs"`
	MaxSteps                  int     `json:"max_steps"` // > 0 overrides epochs
	PerDeviceTrainBatchSize   int     `json:"per_device_train_batch_size"`
	PerDeviceEvalBatchSize    int     `json:"per_device_eval_batch_size"`
	GradientAccumulationSteps int     `json:"gradient_accumulation_steps"`

	LearningRate    float64 `json:"learning_rate"`
	WeightDecay     float64 `json:"weight_decay"`
	AdamBeta1       float64 `json:"adam_beta1"`
	AdamBeta2       float64 `json:"adam_beta2"`
	AdamEpsilon     float64 `json:"adam_epsilon"`
	MaxGradNorm     float64 `json:"max_grad_norm"` // <= 0 disables clipping
	LRSchedulerType string  `json:"lr_scheduler_type"`
	WarmupRatio     float64 `json:"warmup_ratio"`
	WarmupSteps     int     `json:"warmup_steps"` // > 0 overrides warmup_ratio

	LoggingStrategy  string `json:"logging_strategy"`
	LoggingSteps     int    `json:"logging_steps"`
	LoggingFirstStep bool   `json:"logging_first_step"`
	EvalStrategy     string `json:"eval_strategy"`
	EvalSteps        int    `json:"eval_steps"` // 0 = logging_steps, as HF
	SaveStrategy     string `json:"save_strategy"`
	SaveSteps        int    `json:"save_steps"`
	SaveTotalLimit   int    `json:"save_total_limit"` // 0 = unlimited (HF None)

	LoadBestModelAtEnd bool `json:"load_best_model_at_end"`
	// MetricForBestModel is a metric name with or without the "eval_"
	// prefix; empty means "loss" when load_best_model_at_end or early
	// stopping needs one (HF).
	MetricForBestModel string `json:"metric_for_best_model,omitempty"`
	// GreaterIsBetter nil means: true unless the metric is a loss (HF).
	GreaterIsBetter        *bool     `json:"greater_is_better,omitempty"`
	EarlyStoppingPatience  int       `json:"early_stopping_patience"` // 0 = off
	EarlyStoppingThreshold float64   `json:"early_stopping_threshold"`
	Seed                   int64     `json:"seed"`
	MaxSeqLength           int       `json:"max_seq_length"`
	ClassWeights           []float64 `json:"class_weights,omitempty"`
	ResumeFromCheckpoint   string    `json:"resume_from_checkpoint,omitempty"`
	DisableProgressBar     bool      `json:"disable_tqdm"`
}

// Defaults returns HF TrainingArguments defaults (transformers 4.4x) with
// run_glue's max_seq_length 128.
func Defaults() Args {
	return Args{
		OutputDir:                 "output",
		NumTrainEpochs:            3,
		MaxSteps:                  -1,
		PerDeviceTrainBatchSize:   8,
		PerDeviceEvalBatchSize:    8,
		GradientAccumulationSteps: 1,
		LearningRate:              5e-5,
		WeightDecay:               0,
		AdamBeta1:                 0.9,
		AdamBeta2:                 0.999,
		AdamEpsilon:               1e-8,
		MaxGradNorm:               1.0,
		LRSchedulerType:           "linear",
		LoggingStrategy:           StrategySteps,
		LoggingSteps:              500,
		EvalStrategy:              StrategyNo,
		SaveStrategy:              StrategySteps,
		SaveSteps:                 500,
		Seed:                      42,
		MaxSeqLength:              128,
	}
}

func validStrategy(s string) bool {
	return s == StrategyNo || s == StrategySteps || s == StrategyEpoch
}

// Validate checks ranges and the cross-field rules HF enforces, filling
// derived defaults (eval_steps from logging_steps, the best-model metric).
// Errors name the offending field with its HF name.
func (a *Args) Validate() error {
	var errs []error
	bad := func(field, format string, v ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{field}, v...)...))
	}
	if a.OutputDir == "" {
		bad("output_dir", "is required")
	}
	if a.MaxSteps <= 0 && !(a.NumTrainEpochs > 0) {
		bad("num_train_epochs", "must be > 0 when max_steps is not set (got %g)", a.NumTrainEpochs)
	}
	if a.PerDeviceTrainBatchSize < 1 {
		bad("per_device_train_batch_size", "must be >= 1 (got %d)", a.PerDeviceTrainBatchSize)
	}
	if a.PerDeviceEvalBatchSize < 1 {
		bad("per_device_eval_batch_size", "must be >= 1 (got %d)", a.PerDeviceEvalBatchSize)
	}
	if a.GradientAccumulationSteps < 1 {
		bad("gradient_accumulation_steps", "must be >= 1 (got %d)", a.GradientAccumulationSteps)
	}
	if !(a.LearningRate >= 0) || math.IsInf(a.LearningRate, 0) {
		bad("learning_rate", "must be a finite number >= 0 (got %g)", a.LearningRate)
	}
	if !(a.WeightDecay >= 0) {
		bad("weight_decay", "must be >= 0 (got %g)", a.WeightDecay)
	}
	if !(a.AdamBeta1 >= 0 && a.AdamBeta1 < 1) {
		bad("adam_beta1", "must be in [0, 1) (got %g)", a.AdamBeta1)
	}
	if !(a.AdamBeta2 >= 0 && a.AdamBeta2 < 1) {
		bad("adam_beta2", "must be in [0, 1) (got %g)", a.AdamBeta2)
	}
	if !(a.AdamEpsilon > 0) {
		bad("adam_epsilon", "must be > 0 (got %g)", a.AdamEpsilon)
	}
	switch a.LRSchedulerType {
	case "linear", "cosine", "constant", "constant_with_warmup":
	default:
		bad("lr_scheduler_type", "must be linear, cosine, constant or constant_with_warmup (got %q)", a.LRSchedulerType)
	}
	if !(a.WarmupRatio >= 0 && a.WarmupRatio <= 1) {
		bad("warmup_ratio", "must be in [0, 1] (got %g)", a.WarmupRatio)
	}
	if a.WarmupSteps < 0 {
		bad("warmup_steps", "must be >= 0 (got %d)", a.WarmupSteps)
	}
	for _, s := range []struct{ name, v string }{
		{"logging_strategy", a.LoggingStrategy}, {"eval_strategy", a.EvalStrategy}, {"save_strategy", a.SaveStrategy},
	} {
		if !validStrategy(s.v) {
			bad(s.name, "must be no, steps or epoch (got %q)", s.v)
		}
	}
	if a.LoggingStrategy == StrategySteps && a.LoggingSteps < 1 {
		bad("logging_steps", "must be >= 1 with logging_strategy steps (got %d)", a.LoggingSteps)
	}
	if a.EvalStrategy == StrategySteps && a.EvalSteps <= 0 {
		a.EvalSteps = a.LoggingSteps // HF: eval_steps defaults to logging_steps
		if a.EvalSteps < 1 {
			bad("eval_steps", "must be >= 1 with eval_strategy steps")
		}
	}
	if a.SaveStrategy == StrategySteps && a.SaveSteps < 1 {
		bad("save_steps", "must be >= 1 with save_strategy steps (got %d)", a.SaveSteps)
	}
	if a.SaveTotalLimit < 0 {
		bad("save_total_limit", "must be >= 0 (got %d)", a.SaveTotalLimit)
	}
	if a.EarlyStoppingPatience < 0 {
		bad("early_stopping_patience", "must be >= 0 (got %d)", a.EarlyStoppingPatience)
	}
	if a.LoadBestModelAtEnd || a.EarlyStoppingPatience > 0 {
		if a.EvalStrategy == StrategyNo {
			bad("eval_strategy", "must be steps or epoch with load_best_model_at_end or early_stopping_patience")
		}
	}
	if a.LoadBestModelAtEnd {
		// HF: the best model can only be reloaded if a checkpoint exists
		// at every evaluation.
		if a.SaveStrategy != a.EvalStrategy {
			bad("save_strategy", "must equal eval_strategy (%q) with load_best_model_at_end (got %q)", a.EvalStrategy, a.SaveStrategy)
		} else if a.SaveStrategy == StrategySteps && a.EvalSteps > 0 && a.SaveSteps%a.EvalSteps != 0 {
			bad("save_steps", "must be a multiple of eval_steps (%d) with load_best_model_at_end (got %d)", a.EvalSteps, a.SaveSteps)
		}
	}
	if (a.LoadBestModelAtEnd || a.EarlyStoppingPatience > 0) && a.MetricForBestModel == "" {
		a.MetricForBestModel = "loss"
	}
	if a.MetricForBestModel != "" && a.GreaterIsBetter == nil {
		g := !isLossMetric(a.MetricForBestModel)
		a.GreaterIsBetter = &g
	}
	for i, w := range a.ClassWeights {
		if !(w >= 0) || math.IsInf(w, 0) {
			bad("class_weights", "entry %d must be a finite number >= 0 (got %g)", i, w)
		}
	}
	if a.MaxSeqLength < 2 {
		bad("max_seq_length", "must be >= 2 (got %d)", a.MaxSeqLength)
	}
	return errors.Join(errs...)
}

// CheckMetric checks metric_for_best_model against the metric names the
// task's Evaluate reports (without "eval_"), so a typo fails before any
// training instead of at the first evaluation.
func (a *Args) CheckMetric(known []string) error {
	if a.MetricForBestModel == "" {
		return nil
	}
	m := strings.TrimPrefix(a.MetricForBestModel, "eval_")
	if slices.Contains(known, m) {
		return nil
	}
	msg := fmt.Sprintf("metric_for_best_model: %q is not a metric of this task", a.MetricForBestModel)
	if s, ok := suggest.Closest(m, known); ok {
		msg += fmt.Sprintf("; did you mean %s?", s)
	}
	return fmt.Errorf("%s (metrics: %s)", msg, strings.Join(known, ", "))
}

func isLossMetric(m string) bool {
	m = strings.TrimPrefix(m, "eval_")
	return m == "loss"
}

// BestMetricKey is the log_history key compared for the best model:
// metric_for_best_model with HF's "eval_" prefix added when missing.
func (a *Args) BestMetricKey() string {
	if a.MetricForBestModel == "" {
		return ""
	}
	if strings.HasPrefix(a.MetricForBestModel, "eval_") {
		return a.MetricForBestModel
	}
	return "eval_" + a.MetricForBestModel
}

// WarmupFor returns the warmup step count for a run of total optimizer
// steps: warmup_steps when > 0, otherwise ceil(warmup_ratio*total) (HF
// get_warmup_steps).
func (a *Args) WarmupFor(total int) int {
	if a.WarmupSteps > 0 {
		return a.WarmupSteps
	}
	return int(math.Ceil(a.WarmupRatio * float64(total)))
}

// ArgsFile is the file name HF uses for the arguments in a checkpoint
// (HF writes training_args.bin, a pickle; we write readable JSON).
const ArgsFile = "training_args.json"

// SaveArgs writes a as indented JSON to path atomically.
func SaveArgs(path string, a *Args) error {
	b, err := json.MarshalIndent(a, "", "  ")
	if err != nil {
		return err
	}
	return WriteFileAtomic(path, append(b, '\n'))
}

// LoadArgs reads a training_args.json; fields it lacks keep HF defaults, and
// unknown fields are an error naming them so a typo is not silently ignored.
func LoadArgs(path string) (*Args, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	a := Defaults()
	dec := json.NewDecoder(f)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &a, nil
}
