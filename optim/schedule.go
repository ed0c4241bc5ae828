package optim

import (
	"fmt"
	"math"
)

// ScheduleKind names an HF lr_scheduler_type.
type ScheduleKind string

const (
	Constant           ScheduleKind = "constant"
	ConstantWithWarmup ScheduleKind = "constant_with_warmup"
	Linear             ScheduleKind = "linear"
	Cosine             ScheduleKind = "cosine"
)

// ParseScheduleKind accepts HF's --lr_scheduler_type spellings.
func ParseScheduleKind(s string) (ScheduleKind, error) {
	switch k := ScheduleKind(s); k {
	case Constant, ConstantWithWarmup, Linear, Cosine:
		return k, nil
	}
	return "", fmt.Errorf("optim: unknown lr scheduler type %q (want constant, constant_with_warmup, linear or cosine)", s)
}

// Schedule is an HF learning-rate multiplier lr_lambda(step) from
// transformers/optimization.py.
type Schedule struct {
	Kind        ScheduleKind
	WarmupSteps int
	TotalSteps  int     // num_training_steps (linear, cosine)
	NumCycles   float64 // cosine only; 0 means HF's default 0.5 (half a cosine down to 0)
}

// WarmupSteps is HF TrainingArguments.get_warmup_steps: warmupSteps if > 0,
// else ceil(totalSteps * warmupRatio).
func WarmupSteps(warmupSteps int, warmupRatio float64, totalSteps int) int {
	if warmupSteps > 0 {
		return warmupSteps
	}
	return int(math.Ceil(float64(totalSteps) * warmupRatio))
}

// Validate checks the schedule's fields.
func (s Schedule) Validate() error {
	if _, err := ParseScheduleKind(string(s.Kind)); err != nil {
		return err
	}
	if s.WarmupSteps < 0 || s.TotalSteps < 0 {
		return fmt.Errorf("optim: warmup steps %d and total steps %d must be >= 0", s.WarmupSteps, s.TotalSteps)
	}
	if s.NumCycles < 0 || math.IsNaN(s.NumCycles) || math.IsInf(s.NumCycles, 0) {
		return fmt.Errorf("optim: cosine num_cycles %v must be finite and >= 0", s.NumCycles)
	}
	return nil
}

// Factor returns lr_lambda(step): the multiplier of the base lr after
// `step` scheduler steps, with HF's exact float formulas:
//
//	warmup (step < W):  step / max(1, W)          (not for constant)
//	constant:           1
//	linear:             max(0, (T - step) / max(1, T - W))
//	cosine:             p = (step - W) / max(1, T - W)
//	                    max(0, 0.5 * (1 + cos(pi * cycles * 2 * p)))
func (s Schedule) Factor(step int) float64 {
	if s.Kind != Constant && step < s.WarmupSteps {
		return float64(step) / float64(max(1, s.WarmupSteps))
	}
	switch s.Kind {
	case Linear:
		return math.Max(0, float64(s.TotalSteps-step)/float64(max(1, s.TotalSteps-s.WarmupSteps)))
	case Cosine:
		cycles := s.NumCycles
		if cycles == 0 {
			cycles = 0.5
		}
		progress := float64(step-s.WarmupSteps) / float64(max(1, s.TotalSteps-s.WarmupSteps))
		return math.Max(0, 0.5*(1+math.Cos(math.Pi*cycles*2*progress)))
	}
	return 1
}

// Scheduler is torch.optim.lr_scheduler.LambdaLR over one base lr: it is
// created having taken its initial step (last_epoch = 0), so the first
// optimizer step uses base * f(0) — 0 under warmup, as in HF — and each
// Step advances it after the optimizer step.
type Scheduler struct {
	BaseLR    float64
	Schedule  Schedule
	lastEpoch int
}

// NewScheduler validates s and returns a scheduler at last_epoch 0.
func NewScheduler(baseLR float64, s Schedule) (*Scheduler, error) {
	if !(baseLR >= 0) || math.IsInf(baseLR, 0) {
		return nil, fmt.Errorf("optim: learning rate %v must be finite and >= 0", baseLR)
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &Scheduler{BaseLR: baseLR, Schedule: s}, nil
}

// LR returns the learning rate for the next optimizer step.
func (s *Scheduler) LR() float64 { return s.BaseLR * s.Schedule.Factor(s.lastEpoch) }

// Step advances the schedule by one step.
func (s *Scheduler) Step() { s.lastEpoch++ }

// LastEpoch returns the number of Step calls (torch's last_epoch).
func (s *Scheduler) LastEpoch() int { return s.lastEpoch }
