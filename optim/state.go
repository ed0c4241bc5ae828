package optim

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"

	"github.com/medbert/medbert/safetensors"
)

// File names used by Save/Load inside a checkpoint directory.
const (
	MomentsFile   = "optimizer.safetensors" // exp_avg.<name>, exp_avg_sq.<name> (F32)
	OptimizerFile = "optimizer.json"        // hyperparameters and per-param step counts
	SchedulerFile = "scheduler.json"        // LambdaLR state
)

const stateVersion = 1

type paramState struct {
	Name    string `json:"name"`
	Numel   int    `json:"numel"`
	Step    int64  `json:"step"`
	NoDecay bool   `json:"no_decay"`
}

type optimizerState struct {
	Version     int          `json:"version"`
	Beta1       float64      `json:"beta1"`
	Beta2       float64      `json:"beta2"`
	Eps         float64      `json:"eps"`
	WeightDecay float64      `json:"weight_decay"`
	Params      []paramState `json:"params"`
}

// Save writes the optimizer state into dir (MomentsFile + OptimizerFile),
// each atomically. Float values round-trip exactly, so a run resumed with
// Load continues bit-identically.
func (o *AdamW) Save(dir string) error {
	st := optimizerState{Version: stateVersion, Beta1: o.cfg.Beta1, Beta2: o.cfg.Beta2, Eps: o.cfg.Eps, WeightDecay: o.cfg.WeightDecay}
	ts := make([]safetensors.Tensor, 0, 2*len(o.params))
	for i, p := range o.params {
		st.Params = append(st.Params, paramState{Name: p.Name, Numel: len(p.Data), Step: o.steps[i], NoDecay: p.NoDecay})
		ts = append(ts,
			safetensors.F32View("exp_avg."+p.Name, []int{len(o.m[i])}, o.m[i]),
			safetensors.F32View("exp_avg_sq."+p.Name, []int{len(o.v[i])}, o.v[i]))
	}
	if err := safetensors.Write(filepath.Join(dir, MomentsFile), ts, map[string]string{"format": "medbert-adamw"}); err != nil {
		return err
	}
	return writeJSONAtomic(filepath.Join(dir, OptimizerFile), st)
}

// Load restores state saved by Save. As torch's load_state_dict, the saved
// hyperparameters (betas, eps, weight decay) replace the current ones. The
// saved params must be exactly this optimizer's, by name and size; NoDecay
// stays as constructed.
func (o *AdamW) Load(dir string) error {
	jsonPath := filepath.Join(dir, OptimizerFile)
	var st optimizerState
	if err := readJSON(jsonPath, &st); err != nil {
		return err
	}
	if st.Version != stateVersion {
		return fmt.Errorf("optim: %s: unsupported version %d", jsonPath, st.Version)
	}
	cfg := AdamWConfig{Beta1: st.Beta1, Beta2: st.Beta2, Eps: st.Eps, WeightDecay: st.WeightDecay}
	if err := cfg.validate(); err != nil {
		return fmt.Errorf("%s: %w", jsonPath, err)
	}
	if len(st.Params) != len(o.params) {
		return fmt.Errorf("optim: %s: %d params saved, optimizer has %d", jsonPath, len(st.Params), len(o.params))
	}
	for i, ps := range st.Params {
		p := o.params[i]
		if ps.Name != p.Name || ps.Numel != len(p.Data) {
			return fmt.Errorf("optim: %s: params[%d] is %q (%d elements), optimizer has %q (%d)", jsonPath, i, ps.Name, ps.Numel, p.Name, len(p.Data))
		}
		if ps.Step < 0 {
			return fmt.Errorf("optim: %s: %s: negative step %d", jsonPath, ps.Name, ps.Step)
		}
	}
	momPath := filepath.Join(dir, MomentsFile)
	f, err := safetensors.Open(momPath)
	if err != nil {
		return err
	}
	defer f.Close()
	m := make([][]float32, len(o.params))
	v := make([][]float32, len(o.params))
	for i, p := range o.params {
		for _, x := range []struct {
			name string
			dst  *[]float32
		}{{"exp_avg." + p.Name, &m[i]}, {"exp_avg_sq." + p.Name, &v[i]}} {
			info, ok := f.Info(x.name)
			if !ok || info.DType != safetensors.DTypeF32 || info.NumElements() != len(p.Data) {
				return fmt.Errorf("optim: %s: %s: missing, or not F32 with %d elements", momPath, x.name, len(p.Data))
			}
			if *x.dst, _, err = f.Float32(x.name); err != nil {
				return err
			}
		}
	}
	o.cfg, o.m, o.v = cfg, m, v
	for i, ps := range st.Params {
		o.steps[i] = ps.Step
	}
	return nil
}

type schedulerState struct {
	Version   int     `json:"version"`
	LastEpoch int     `json:"last_epoch"`
	BaseLR    float64 `json:"base_lr"`
	// Informational: the schedule comes from the caller on resume, as
	// torch's LambdaLR state_dict does not store the lambda.
	Kind        ScheduleKind `json:"kind"`
	WarmupSteps int          `json:"warmup_steps"`
	TotalSteps  int          `json:"total_steps"`
}

// Save writes the scheduler state to dir/SchedulerFile atomically.
func (s *Scheduler) Save(dir string) error {
	return writeJSONAtomic(filepath.Join(dir, SchedulerFile), schedulerState{
		Version: stateVersion, LastEpoch: s.lastEpoch, BaseLR: s.BaseLR,
		Kind: s.Schedule.Kind, WarmupSteps: s.Schedule.WarmupSteps, TotalSteps: s.Schedule.TotalSteps,
	})
}

// Load restores last_epoch and the base lr (torch LambdaLR.load_state_dict);
// the Schedule stays the one the scheduler was created with.
func (s *Scheduler) Load(dir string) error {
	path := filepath.Join(dir, SchedulerFile)
	var st schedulerState
	if err := readJSON(path, &st); err != nil {
		return err
	}
	if st.Version != stateVersion {
		return fmt.Errorf("optim: %s: unsupported version %d", path, st.Version)
	}
	if st.LastEpoch < 0 || !(st.BaseLR >= 0) || math.IsInf(st.BaseLR, 0) {
		return fmt.Errorf("optim: %s: invalid last_epoch %d or base_lr %v", path, st.LastEpoch, st.BaseLR)
	}
	s.lastEpoch, s.BaseLR = st.LastEpoch, st.BaseLR
	return nil
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("optim: %w", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("optim: %s: %w", path, err)
	}
	return nil
}

// writeJSONAtomic writes v as indented JSON atomically
// (safetensors.WriteAtomic: temp file, fsync, rename).
func writeJSONAtomic(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("optim: %s: %w", path, err)
	}
	b = append(b, '\n')
	err = safetensors.WriteAtomic(path, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
	if err != nil {
		return fmt.Errorf("optim: %w", err)
	}
	return nil
}
