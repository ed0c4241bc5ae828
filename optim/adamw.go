package optim

import (
	"fmt"
	"math"
	"strings"

	"github.com/medbert/medbert/kernels"
)

// Param is one trainable tensor: its HF name, values and gradient (same
// length; Grad nil means "no gradient this step", which skips the tensor
// as torch skips p.grad is None). NoDecay puts it in the weight-decay-0
// group.
//
// Sparse, set instead of Grad, gives the gradient row by row: Data viewed
// as (rows, width) with only the touched rows stored (an embedding table's
// gradient). The tensor is then always stepped, as its dense gradient with
// zeros in the other rows would be — AdamW still decays those rows' moments
// and weights — and with the same bits.
type Param struct {
	Name    string
	Data    []float32
	Grad    []float32
	Sparse  RowSparse
	NoDecay bool
}

// hasGrad reports whether the param takes part in a step.
func (p *Param) hasGrad() bool { return p.Grad != nil || p.Sparse != nil }

// HFNoDecay reports whether HF's Trainer excludes a parameter from weight
// decay: names containing "bias" or "LayerNorm.weight" (transformers'
// classic no_decay list, used by run_glue.py and the golden runs), plus the
// legacy TF-era names LayerNorm.gamma / LayerNorm.beta that mean the same
// tensors.
func HFNoDecay(name string) bool {
	return strings.Contains(name, "bias") || strings.Contains(name, "LayerNorm.weight") ||
		strings.Contains(name, "LayerNorm.gamma") || strings.Contains(name, "LayerNorm.beta")
}

// SetHFNoDecay sets NoDecay on every param by HFNoDecay.
func SetHFNoDecay(params []Param) {
	for i := range params {
		params[i].NoDecay = HFNoDecay(params[i].Name)
	}
}

// AdamWConfig holds the hyperparameters. The learning rate is passed to
// each Step (it comes from the schedule).
type AdamWConfig struct {
	Beta1, Beta2 float64
	Eps          float64
	WeightDecay  float64 // for params without NoDecay
}

// DefaultAdamWConfig returns HF TrainingArguments' defaults: betas (0.9,
// 0.999), eps 1e-8, weight decay 0 (HF's default; run_glue users pass
// --weight-decay 0.01).
func DefaultAdamWConfig() AdamWConfig {
	return AdamWConfig{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0}
}

func (c AdamWConfig) validate() error {
	switch {
	case !(c.Beta1 >= 0 && c.Beta1 < 1):
		return fmt.Errorf("optim: beta1 %v not in [0, 1)", c.Beta1)
	case !(c.Beta2 >= 0 && c.Beta2 < 1):
		return fmt.Errorf("optim: beta2 %v not in [0, 1)", c.Beta2)
	case !(c.Eps >= 0) || math.IsInf(c.Eps, 0):
		return fmt.Errorf("optim: eps %v must be finite and >= 0", c.Eps)
	case !(c.WeightDecay >= 0) || math.IsInf(c.WeightDecay, 0):
		return fmt.Errorf("optim: weight decay %v must be finite and >= 0", c.WeightDecay)
	}
	return nil
}

// AdamW is torch.optim.AdamW (amsgrad=False, maximize=False) over a fixed
// list of params. Moments and step counts are per tensor, as in torch.
type AdamW struct {
	cfg    AdamWConfig
	params []Param
	m, v   [][]float32 // exp_avg, exp_avg_sq
	steps  []int64     // per-tensor step count (torch state["step"])
	zeros  []float32   // blockSize zeros: the gradient of a sparse param's untouched rows
}

// NewAdamW creates the optimizer. Names must be unique (they key the saved
// state), every Grad, if set, must match its Data length, and a param with
// a Sparse gradient has no Grad and a row width dividing its Data length.
func NewAdamW(params []Param, cfg AdamWConfig) (*AdamW, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	seen := make(map[string]bool, len(params))
	o := &AdamW{cfg: cfg, params: append([]Param(nil), params...)}
	for _, p := range params {
		if seen[p.Name] {
			return nil, fmt.Errorf("optim: duplicate parameter name %q", p.Name)
		}
		seen[p.Name] = true
		if p.Grad != nil && len(p.Grad) != len(p.Data) {
			return nil, fmt.Errorf("optim: %s: grad has %d elements, data %d", p.Name, len(p.Grad), len(p.Data))
		}
		if p.Sparse != nil {
			if p.Grad != nil {
				return nil, fmt.Errorf("optim: %s: both a dense and a sparse gradient", p.Name)
			}
			if _, _, w := p.Sparse.RowGrads(); w <= 0 || len(p.Data)%w != 0 {
				return nil, fmt.Errorf("optim: %s: sparse gradient width %d does not divide %d elements", p.Name, w, len(p.Data))
			}
		}
		o.m = append(o.m, make([]float32, len(p.Data)))
		o.v = append(o.v, make([]float32, len(p.Data)))
	}
	o.steps = make([]int64, len(params))
	return o, nil
}

// Params returns the optimizer's param list (not a copy): a caller whose
// gradient buffers are allocated lazily may set Grad fields here.
func (o *AdamW) Params() []Param { return o.params }

// Config returns the hyperparameters in use.
func (o *AdamW) Config() AdamWConfig { return o.cfg }

// StepCount returns the number of steps applied to param i.
func (o *AdamW) StepCount(i int) int64 { return o.steps[i] }

// Moments returns param i's exp_avg and exp_avg_sq buffers (not copies).
func (o *AdamW) Moments(i int) (expAvg, expAvgSq []float32) { return o.m[i], o.v[i] }

// Step applies one update with learning rate lr to every param with a
// gradient, exactly as torch 1.13 `_single_tensor_adamw`:
//
//	t    += 1
//	p    *= 1 - lr*wd                          (decoupled weight decay)
//	m     = beta1*m + (1-beta1)*g
//	v     = beta2*v + (1-beta2)*g*g
//	p    += -(lr/bc1) * m / (sqrt(v)/sqrt(bc2) + eps),  bc_i = 1 - beta_i^t
//
// lr, bc1, bc2, lr/bc1 and sqrt(bc2) are float64 (Python floats); each
// scalar is rounded to float32 where torch hands it to a float32 kernel.
func (o *AdamW) Step(lr float64) error { return o.step(lr, 1, false) }

// StepScaled is Step on every gradient multiplied by gradScale in float32 —
// what ClipGradNorm would leave in them (gradScale = ClipCoef) — without
// the separate pass that writes the scaled gradients back: the same
// parameters and moments, bit for bit, from one read of the gradients
// instead of two reads and a write. The gradients themselves stay as they
// were.
func (o *AdamW) StepScaled(lr float64, gradScale float32) error { return o.step(lr, gradScale, true) }

func (o *AdamW) step(lr float64, gradScale float32, scale bool) error {
	if math.IsNaN(lr) || math.IsInf(lr, 0) || lr < 0 {
		return fmt.Errorf("optim: learning rate %v must be finite and >= 0", lr)
	}
	for i, p := range o.params {
		if p.Grad != nil && p.Sparse != nil {
			return fmt.Errorf("optim: %s: both a dense and a sparse gradient", p.Name)
		}
		if p.Sparse != nil && len(p.Data) != len(o.m[i]) {
			return fmt.Errorf("optim: %s: data length %d, state %d", p.Name, len(p.Data), len(o.m[i]))
		}
		if p.Grad == nil {
			continue
		}
		if len(p.Grad) != len(p.Data) || len(p.Data) != len(o.m[i]) {
			return fmt.Errorf("optim: %s: grad/data lengths %d/%d, state %d", p.Name, len(p.Grad), len(p.Data), len(o.m[i]))
		}
	}
	vs, err := views(o.params)
	if err != nil {
		return err
	}
	if vs != nil && o.zeros == nil {
		o.zeros = make([]float32, blockSize)
	}
	b1, b2 := float32(o.cfg.Beta1), float32(o.cfg.Beta2)
	c1, c2 := float32(1-o.cfg.Beta1), float32(1-o.cfg.Beta2)
	eps := float32(o.cfg.Eps)
	scal := make([]adamwScalars, len(o.params))
	for i, p := range o.params {
		if !p.hasGrad() {
			continue
		}
		o.steps[i]++
		t := float64(o.steps[i])
		wd := o.cfg.WeightDecay
		if p.NoDecay {
			wd = 0
		}
		bc1 := 1 - math.Pow(o.cfg.Beta1, t)
		bc2 := 1 - math.Pow(o.cfg.Beta2, t)
		scal[i] = adamwScalars{
			decay: float32(1 - lr*wd), doDecay: wd != 0, gradScale: gradScale, scaleGrad: scale,
			b1: b1, b2: b2, c1: c1, c2: c2,
			negStep: float32(-(lr / bc1)), bc2Sqrt: float32(math.Sqrt(bc2)), eps: eps,
		}
	}
	// Elementwise, so the block split cannot change any result.
	bs := blocksOf(func(i int) int { return gradLen(o.params, i) }, len(o.params))
	forBlocks(bs, func(_ int, b block) {
		p, m, v, sc := o.params[b.param].Data, o.m[b.param], o.v[b.param], scal[b.param]
		if vs == nil || vs[b.param] == nil {
			adamwKernel(p[b.lo:b.hi], o.params[b.param].Grad[b.lo:b.hi], m[b.lo:b.hi], v[b.lo:b.hi], sc)
			return
		}
		// The update is elementwise: running it piece by piece, the
		// untouched rows fed zeros, gives the dense step's bits.
		vs[b.param].segments(b.lo, b.hi, func(lo, hi int, g []float32) {
			for lo < hi {
				gg := g // hi-lo values, or nil: zeros, a block at most
				if gg == nil {
					gg = o.zeros[:min(hi-lo, len(o.zeros))]
				}
				e := lo + len(gg)
				adamwKernel(p[lo:e], gg, m[lo:e], v[lo:e], sc)
				lo = e
			}
		})
	})
	return nil
}

type adamwScalars struct {
	decay            float32
	doDecay          bool
	gradScale        float32
	scaleGrad        bool
	b1, b2, c1, c2   float32
	negStep, bc2Sqrt float32
	eps              float32
}

// adamwKernel is the elementwise update, torch's op order with a float32
// rounding after every op (mul_, add_, addcmul_, sqrt, div, add_, addcdiv_)
// and no FMA: kernels.AdamW, vectorised (AVX2) with the same bits as its
// scalar reference loop, so the golden tests still compare exactly.
func adamwKernel(p, g, m, v []float32, s adamwScalars) {
	kernels.AdamW(p, g, m, v, kernels.AdamWScalars{
		Decay: s.decay, DoDecay: s.doDecay, GradScale: s.gradScale, ScaleGrad: s.scaleGrad,
		B1: s.b1, B2: s.b2, C1: s.c1, C2: s.c2,
		NegStep: s.negStep, BC2Sqrt: s.bc2Sqrt, Eps: s.eps,
	})
}
