package train

// optimizer ties the optim package's pieces together the way HF's Trainer
// does for one step: global-norm clipping of the accumulated gradients,
// AdamW with the scheduled learning rate, then the scheduler advance.
type optimizer struct {
	core     optCore
	lrAt     func(step int) float64 // lr used by optimizer step `step` (0-based)
	maxNorm  float64
	lastLR   float64 // lr of the last step
	lastNorm float64 // pre-clip global gradient norm of the last step
}

// optCore is the part of the optimizer with state: AdamW moments and step
// count, saved in checkpoints.
type optCore interface {
	// clip makes the next step see gradients scaled so their global L2
	// norm is at most maxNorm (no-op when maxNorm <= 0) and returns the
	// pre-clip norm.
	clip(maxNorm float64) float64
	// step applies one AdamW update with learning rate lr.
	step(lr float64) error
	save(dir string) error
	load(dir string) error
}

func newOptimizer(a *Args, params []NamedParam, totalSteps int) (*optimizer, error) {
	core, lrAt, err := newOptCore(a, params, totalSteps)
	if err != nil {
		return nil, err
	}
	return &optimizer{core: core, lrAt: lrAt, maxNorm: a.MaxGradNorm}, nil
}

// step performs optimizer step number `step` (0-based global step).
func (o *optimizer) step(step int) error {
	o.lastNorm = o.core.clip(o.maxNorm)
	o.lastLR = o.lrAt(step)
	return o.core.step(o.lastLR)
}

func (o *optimizer) save(dir string) error { return o.core.save(dir) }
func (o *optimizer) load(dir string) error { return o.core.load(dir) }
