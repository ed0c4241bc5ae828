package train

import (
	"fmt"

	"github.com/medbert/medbert/optim"
)

// optimCore is optim's AdamW (HF no-decay grouping) with an HF LambdaLR
// schedule; both are saved in checkpoints (optimizer.safetensors +
// optimizer.json, scheduler.json).
type optimCore struct {
	adam   *optim.AdamW
	params []optim.Param
	sched  *optim.Scheduler
	coef   float32 // clip factor for the next step; 1: none
}

func newOptCore(a *Args, params []NamedParam, total int) (optCore, func(int) float64, error) {
	ops := make([]optim.Param, len(params))
	for i, p := range params {
		ops[i] = optim.Param{Name: p.Name, Data: p.T.Data, Grad: p.T.Grad}
		if rg := p.T.RowGrad(); rg != nil {
			ops[i].Grad, ops[i].Sparse = nil, rg
		}
	}
	optim.SetHFNoDecay(ops)
	adam, err := optim.NewAdamW(ops, optim.AdamWConfig{
		Beta1: a.AdamBeta1, Beta2: a.AdamBeta2, Eps: a.AdamEpsilon, WeightDecay: a.WeightDecay,
	})
	if err != nil {
		return nil, nil, err
	}
	kind, err := optim.ParseScheduleKind(a.LRSchedulerType)
	if err != nil {
		return nil, nil, fmt.Errorf("lr_scheduler_type: %w", err)
	}
	s := optim.Schedule{Kind: kind, WarmupSteps: optim.WarmupSteps(a.WarmupSteps, a.WarmupRatio, total), TotalSteps: total}
	sched, err := optim.NewScheduler(a.LearningRate, s)
	if err != nil {
		return nil, nil, err
	}
	// The rate of step k is a pure function of k (LambdaLR), so resume
	// needs only the step count.
	lrAt := func(step int) float64 { return a.LearningRate * s.Factor(step) }
	return &optimCore{adam: adam, params: ops, sched: sched, coef: 1}, lrAt, nil
}

// clip computes the pre-clip norm and the clip factor; the next step applies
// the factor inside the AdamW update (optim.AdamW.StepScaled, the bits of
// ClipGradNorm followed by Step) instead of a separate pass that scales and
// writes back every gradient.
func (c *optimCore) clip(maxNorm float64) float64 {
	total := optim.GradNorm(c.params)
	c.coef = 1
	if maxNorm > 0 {
		c.coef = optim.ClipCoef(total, maxNorm)
	}
	return total
}

func (c *optimCore) step(lr float64) error {
	coef := c.coef
	c.coef = 1
	step := c.adam.Step
	if coef != 1 {
		step = func(lr float64) error { return c.adam.StepScaled(lr, coef) }
	}
	if err := step(lr); err != nil {
		return err
	}
	c.sched.Step()
	return nil
}

func (c *optimCore) save(dir string) error {
	if err := c.adam.Save(dir); err != nil {
		return err
	}
	return c.sched.Save(dir)
}

func (c *optimCore) load(dir string) error {
	if err := c.adam.Load(dir); err != nil {
		return err
	}
	return c.sched.Load(dir)
}
