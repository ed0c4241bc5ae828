package optim

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

func TestHFNoDecay(t *testing.T) {
	for name, want := range map[string]bool{
		"bert.encoder.layer.0.attention.self.query.weight":   false,
		"bert.encoder.layer.0.attention.self.query.bias":     true,
		"bert.embeddings.LayerNorm.weight":                   true,
		"bert.embeddings.LayerNorm.bias":                     true,
		"bert.encoder.layer.1.output.LayerNorm.gamma":        true, // legacy names
		"bert.encoder.layer.1.output.LayerNorm.beta":         true,
		"bert.embeddings.word_embeddings.weight":             false,
		"classifier.weight":                                  false,
		"cls.predictions.bias":                               true,
		"cls.predictions.transform.LayerNorm.weight":         true,
		"bert.encoder.layer.0.attention.output.dense.weight": false,
		"bert.pooler.dense.weight":                           false,
	} {
		if got := HFNoDecay(name); got != want {
			t.Errorf("HFNoDecay(%q) = %v, want %v", name, got, want)
		}
	}
	ps := []Param{{Name: "a.bias"}, {Name: "a.weight"}}
	SetHFNoDecay(ps)
	if !ps[0].NoDecay || ps[1].NoDecay {
		t.Error("SetHFNoDecay")
	}
}

func TestScheduleFactors(t *testing.T) {
	cases := []struct {
		s    Schedule
		step int
		want float64
	}{
		// get_linear_schedule_with_warmup(2, 10), the golden run's schedule.
		{Schedule{Kind: Linear, WarmupSteps: 2, TotalSteps: 10}, 0, 0},
		{Schedule{Kind: Linear, WarmupSteps: 2, TotalSteps: 10}, 1, 0.5},
		{Schedule{Kind: Linear, WarmupSteps: 2, TotalSteps: 10}, 2, 1},
		{Schedule{Kind: Linear, WarmupSteps: 2, TotalSteps: 10}, 3, 0.875},
		{Schedule{Kind: Linear, WarmupSteps: 2, TotalSteps: 10}, 10, 0},
		{Schedule{Kind: Linear, WarmupSteps: 2, TotalSteps: 10}, 13, 0},
		{Schedule{Kind: Linear, TotalSteps: 10}, 0, 1},
		{Schedule{Kind: Linear, TotalSteps: 10}, 5, 0.5},
		{Schedule{Kind: Linear, TotalSteps: 0}, 0, 0}, // max(1, T-W) guards the division
		// cosine: 0.5*(1+cos(pi*p)), p = (s-W)/(T-W).
		{Schedule{Kind: Cosine, WarmupSteps: 2, TotalSteps: 10}, 1, 0.5},
		{Schedule{Kind: Cosine, WarmupSteps: 2, TotalSteps: 10}, 2, 1},
		{Schedule{Kind: Cosine, WarmupSteps: 2, TotalSteps: 10}, 4, 0.5 + math.Sqrt2/4},
		{Schedule{Kind: Cosine, WarmupSteps: 2, TotalSteps: 10}, 6, 0.5},
		{Schedule{Kind: Cosine, WarmupSteps: 2, TotalSteps: 10}, 8, 0.5 - math.Sqrt2/4},
		{Schedule{Kind: Cosine, WarmupSteps: 2, TotalSteps: 10}, 10, 0},
		{Schedule{Kind: Cosine, WarmupSteps: 2, TotalSteps: 10}, 12, 0.5 - math.Sqrt2/4}, // HF does not clamp past T: cos(1.25 pi)
		{Schedule{Kind: Cosine, TotalSteps: 4, NumCycles: 1}, 2, 0},
		{Schedule{Kind: ConstantWithWarmup, WarmupSteps: 4}, 0, 0},
		{Schedule{Kind: ConstantWithWarmup, WarmupSteps: 4}, 1, 0.25},
		{Schedule{Kind: ConstantWithWarmup, WarmupSteps: 4}, 4, 1},
		{Schedule{Kind: ConstantWithWarmup, WarmupSteps: 4}, 1000, 1},
		{Schedule{Kind: Constant, WarmupSteps: 4}, 0, 1}, // HF's "constant" ignores warmup
	}
	for _, c := range cases {
		if got := c.s.Factor(c.step); math.Abs(got-c.want) > 1e-15 {
			t.Errorf("%+v f(%d) = %v, want %v", c.s, c.step, got, c.want)
		}
	}
	if w := WarmupSteps(0, 0.1, 95); w != 10 { // ceil(9.5)
		t.Errorf("WarmupSteps ratio = %d", w)
	}
	if w := WarmupSteps(3, 0.5, 100); w != 3 {
		t.Errorf("WarmupSteps steps = %d", w)
	}
	if _, err := ParseScheduleKind("polynomial"); err == nil || !strings.Contains(err.Error(), "polynomial") {
		t.Errorf("unknown kind: %v", err)
	}
	if _, err := NewScheduler(1e-3, Schedule{Kind: Linear, WarmupSteps: -1}); err == nil {
		t.Error("negative warmup accepted")
	}
}

// LambdaLR semantics: the first optimizer step uses base*f(0).
func TestSchedulerSequence(t *testing.T) {
	s, err := NewScheduler(2e-5, Schedule{Kind: Linear, WarmupSteps: 2, TotalSteps: 4})
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{0, 1e-5, 2e-5, 1e-5, 0, 0}
	for i, w := range want {
		if got := s.LR(); got != w {
			t.Errorf("step %d: lr %v, want %v", i+1, got, w)
		}
		s.Step()
	}
	if s.LastEpoch() != len(want) {
		t.Errorf("last epoch %d", s.LastEpoch())
	}
}

func TestClipGradNorm(t *testing.T) {
	mk := func() []Param {
		return []Param{{Name: "a", Grad: []float32{3, 0}}, {Name: "b", Grad: []float32{4}}, {Name: "c"}}
	}
	ps := mk()
	if n := ClipGradNorm(ps, 1); n != 5 {
		t.Errorf("norm %v, want 5", n)
	}
	coef := 1 / (5 + 1e-6)
	if math.Abs(float64(ps[0].Grad[0])-3*coef) > 3e-7 || math.Abs(float64(ps[1].Grad[0])-4*coef) > 3e-7 || ps[0].Grad[1] != 0 {
		t.Errorf("clipped %v %v", ps[0].Grad, ps[1].Grad)
	}
	if n := GradNorm(ps); math.Abs(n-1) > 1e-6 {
		t.Errorf("post-clip norm %v", n)
	}
	for _, max := range []float64{10, 0, -1} { // no clipping: bit-identical
		ps = mk()
		if n := ClipGradNorm(ps, max); n != 5 || ps[0].Grad[0] != 3 || ps[1].Grad[0] != 4 {
			t.Errorf("max %v: %v %v %v", max, n, ps[0].Grad, ps[1].Grad)
		}
	}
	if ClipCoef(5, 1) != float32(1)/float32(5.000001) {
		t.Error("coef is not float32(1/(total+1e-6))*max")
	}
}

// adamwRef is the textbook update in float64 (no float32 roundings).
func adamwRef(p, g, m, v []float64, t int, lr, b1, b2, eps, wd float64) {
	bc1, bc2 := 1-math.Pow(b1, float64(t)), 1-math.Pow(b2, float64(t))
	for i := range p {
		p[i] *= 1 - lr*wd
		m[i] = b1*m[i] + (1-b1)*g[i]
		v[i] = b2*v[i] + (1-b2)*g[i]*g[i]
		p[i] -= lr / bc1 * m[i] / (math.Sqrt(v[i])/math.Sqrt(bc2) + eps)
	}
}

func TestAdamWMatchesFloat64Reference(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	const n = 1000
	p32, g32 := make([]float32, n), make([]float32, n)
	p64, m64, v64, g64 := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range p32 {
		p32[i] = float32(r.NormFloat64())
		p64[i] = float64(p32[i])
	}
	opt, err := NewAdamW([]Param{{Name: "w", Data: p32, Grad: g32}}, AdamWConfig{Beta1: 0.8, Beta2: 0.99, Eps: 1e-6, WeightDecay: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	for step := 1; step <= 20; step++ {
		for i := range g32 {
			g32[i] = float32(r.NormFloat64() * 0.01)
			g64[i] = float64(g32[i])
		}
		lr := 1e-2 / float64(step)
		opt.Step(lr)
		adamwRef(p64, g64, m64, v64, step, lr, 0.8, 0.99, 1e-6, 0.1)
	}
	m32, v32 := opt.Moments(0)
	for i := range p32 {
		// p is rounded to float32 once per step: allow 20 roundings of 1 ulp.
		if d := math.Abs(float64(p32[i]) - p64[i]); d > 20*math.Abs(p64[i])*0x1p-23+1e-7 {
			t.Fatalf("p[%d] = %v, float64 reference %v", i, p32[i], p64[i])
		}
		if math.Abs(float64(m32[i])-m64[i]) > 1e-6*0.01 || math.Abs(float64(v32[i])-v64[i]) > 1e-6*1e-4 {
			t.Fatalf("moments[%d]: %v %v vs %v %v", i, m32[i], v32[i], m64[i], v64[i])
		}
	}
	if opt.StepCount(0) != 20 {
		t.Errorf("step count %d", opt.StepCount(0))
	}
	// A hand-computed first step: p=1, g=0.5, lr=0.1, wd=0.01, eps=1e-8:
	// p = 0.999 - 0.1*(0.05/0.1)/(sqrt(0.00025)/sqrt(0.001)+1e-8) = 0.899 + 2e-9.
	one, err := NewAdamW([]Param{{Name: "x", Data: []float32{1}, Grad: []float32{0.5}}}, AdamWConfig{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01})
	if err != nil {
		t.Fatal(err)
	}
	one.Step(0.1)
	if got := one.Params()[0].Data[0]; math.Abs(float64(got)-0.899) > 1e-7 {
		t.Errorf("hand-computed step: %v, want 0.899", got)
	}
}

func TestAdamWSkipsNilGradAndValidates(t *testing.T) {
	opt, err := NewAdamW([]Param{{Name: "a", Data: []float32{1}}, {Name: "b", Data: []float32{1}, Grad: []float32{1}}}, DefaultAdamWConfig())
	if err != nil {
		t.Fatal(err)
	}
	opt.Step(0.1)
	if opt.Params()[0].Data[0] != 1 || opt.StepCount(0) != 0 || opt.StepCount(1) != 1 {
		t.Error("param without grad was updated")
	}
	opt.Params()[0].Grad = []float32{1, 2}
	if err := opt.Step(0.1); err == nil || !strings.Contains(err.Error(), "a:") {
		t.Errorf("bad grad length: %v", err)
	}
	for _, bad := range []AdamWConfig{{Beta1: 1, Beta2: 0.9}, {Beta1: 0.9, Beta2: -0.1}, {Beta1: 0.9, Beta2: 0.9, Eps: math.NaN()}, {Beta1: 0.9, Beta2: 0.9, WeightDecay: -1}} {
		if _, err := NewAdamW(nil, bad); err == nil {
			t.Errorf("config %+v accepted", bad)
		}
	}
	if _, err := NewAdamW([]Param{{Name: "a"}, {Name: "a"}}, DefaultAdamWConfig()); err == nil {
		t.Error("duplicate names accepted")
	}
	if err := opt.Step(math.Inf(1)); err == nil {
		t.Error("infinite lr accepted")
	}
}

// quadGrad is a deterministic fake backward: g = p - target + noise(step).
func quadGrad(ps []Param, step int) {
	for k, p := range ps {
		for i := range p.Data {
			p.Grad[i] = p.Data[i] - float32(math.Sin(float64(i+k))) + float32(math.Cos(float64(step*(i+1))))*0.1
		}
	}
}

func newRun(t *testing.T) ([]Param, *AdamW, *Scheduler) {
	r := rand.New(rand.NewPCG(3, 4))
	ps := []Param{{Name: "enc.weight"}, {Name: "enc.bias"}, {Name: "LayerNorm.weight"}}
	for i, n := range []int{300, 17, 17} {
		ps[i].Data = make([]float32, n)
		ps[i].Grad = make([]float32, n)
		for j := range ps[i].Data {
			ps[i].Data[j] = float32(r.NormFloat64())
		}
	}
	SetHFNoDecay(ps)
	opt, err := NewAdamW(ps, AdamWConfig{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01})
	if err != nil {
		t.Fatal(err)
	}
	sched, err := NewScheduler(1e-2, Schedule{Kind: Cosine, WarmupSteps: 3, TotalSteps: 10})
	if err != nil {
		t.Fatal(err)
	}
	return ps, opt, sched
}

func trainSteps(ps []Param, opt *AdamW, sched *Scheduler, from, to int) {
	for step := from; step < to; step++ {
		quadGrad(ps, step)
		ClipGradNorm(ps, 1.0)
		opt.Step(sched.LR())
		sched.Step()
	}
}

// Stop after 4 steps, save, load into fresh objects, finish: bit-identical
// to an uninterrupted 10-step run.
func TestStateResumeIsBitIdentical(t *testing.T) {
	ps, opt, sched := newRun(t)
	trainSteps(ps, opt, sched, 0, 10)

	ps2, opt2, sched2 := newRun(t)
	trainSteps(ps2, opt2, sched2, 0, 4)
	dir := t.TempDir()
	if err := opt2.Save(dir); err != nil {
		t.Fatal(err)
	}
	if err := sched2.Save(dir); err != nil {
		t.Fatal(err)
	}
	saved := make([][]float32, len(ps2)) // the "model checkpoint"
	for i := range ps2 {
		saved[i] = append([]float32(nil), ps2[i].Data...)
	}
	ps3, opt3, sched3 := newRun(t)
	for i := range ps3 {
		copy(ps3[i].Data, saved[i])
	}
	if err := opt3.Load(dir); err != nil {
		t.Fatal(err)
	}
	if err := sched3.Load(dir); err != nil {
		t.Fatal(err)
	}
	if sched3.LastEpoch() != 4 || opt3.StepCount(0) != 4 {
		t.Fatalf("restored epoch %d, step %d", sched3.LastEpoch(), opt3.StepCount(0))
	}
	trainSteps(ps3, opt3, sched3, 4, 10)
	for i := range ps {
		m1, v1 := opt.Moments(i)
		m3, v3 := opt3.Moments(i)
		for j := range ps[i].Data {
			if math.Float32bits(ps[i].Data[j]) != math.Float32bits(ps3[i].Data[j]) ||
				math.Float32bits(m1[j]) != math.Float32bits(m3[j]) || math.Float32bits(v1[j]) != math.Float32bits(v3[j]) {
				t.Fatalf("%s[%d]: resumed run differs", ps[i].Name, j)
			}
		}
	}
	// The run actually moved the weights (the comparison is not vacuous).
	if fresh, _, _ := newRun(t); fresh[0].Data[0] == ps[0].Data[0] {
		t.Error("training did not change the weights")
	}
}

func TestStateLoadErrors(t *testing.T) {
	_, opt, sched := newRun(t)
	dir := t.TempDir()
	if err := opt.Load(dir); err == nil || !os.IsNotExist(unwrapAll(err)) {
		t.Errorf("missing state: %v", err)
	}
	opt.Save(dir)
	sched.Save(dir)
	other, err := NewAdamW([]Param{{Name: "different", Data: make([]float32, 300)}, {Name: "enc.bias", Data: make([]float32, 17)}, {Name: "LayerNorm.weight", Data: make([]float32, 17)}}, DefaultAdamWConfig())
	if err != nil {
		t.Fatal(err)
	}
	if err := other.Load(dir); err == nil || !strings.Contains(err.Error(), OptimizerFile) || !strings.Contains(err.Error(), "different") {
		t.Errorf("mismatched params: %v", err)
	}
	os.WriteFile(filepath.Join(dir, SchedulerFile), []byte(`{"version":1,"last_epoch":-3}`), 0o644)
	if err := sched.Load(dir); err == nil || !strings.Contains(err.Error(), SchedulerFile) {
		t.Errorf("bad scheduler state: %v", err)
	}
	os.WriteFile(filepath.Join(dir, MomentsFile), []byte("garbage!"), 0o644)
	if err := opt.Load(dir); err == nil || !strings.Contains(err.Error(), MomentsFile) {
		t.Errorf("corrupt moments: %v", err)
	}
}

func unwrapAll(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return err
		}
		err = u.Unwrap()
	}
}

// The block split is fixed by tensor sizes: one core or many give the same
// bits (tensors here span several blocks and a ragged tail).
func TestResultsIndependentOfGOMAXPROCS(t *testing.T) {
	run := func(procs int) ([]float32, float64) {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		r := rand.New(rand.NewPCG(5, 6))
		ps := []Param{{Name: "w"}, {Name: "b.bias"}}
		for i, n := range []int{3*blockSize + 123, 77} {
			ps[i].Data, ps[i].Grad = make([]float32, n), make([]float32, n)
			for j := range ps[i].Data {
				ps[i].Data[j], ps[i].Grad[j] = float32(r.NormFloat64()), float32(r.NormFloat64())
			}
		}
		SetHFNoDecay(ps)
		opt, _ := NewAdamW(ps, AdamWConfig{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01})
		norm := ClipGradNorm(ps, 0.5)
		opt.Step(1e-3)
		return ps[0].Data, norm
	}
	a, na := run(1)
	b, nb := run(4)
	if na != nb {
		t.Errorf("norm %v vs %v", na, nb)
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			t.Fatalf("element %d differs between GOMAXPROCS 1 and 4", i)
		}
	}
}

// TestStepScaledIsClipThenStep: StepScaled with ClipCoef as its factor gives
// the parameters and moments of ClipGradNorm followed by Step, bit for bit,
// over three steps (decay and no-decay params, a length with a vector tail),
// and leaves the gradients unscaled.
func TestStepScaledIsClipThenStep(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	mk := func() []Param {
		r := rand.New(rand.NewPCG(13, 14))
		ps := []Param{{Name: "w"}, {Name: "bias", NoDecay: true}}
		for i, n := range []int{1037, 64} {
			ps[i].Data, ps[i].Grad = make([]float32, n), make([]float32, n)
			for j := range ps[i].Data {
				ps[i].Data[j] = float32(r.NormFloat64())
			}
		}
		return ps
	}
	a, b := mk(), mk()
	cfg := DefaultAdamWConfig()
	cfg.WeightDecay = 0.01
	oa, err := NewAdamW(a, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ob, _ := NewAdamW(b, cfg)
	for step := 0; step < 3; step++ {
		for i := range a {
			for j := range a[i].Grad {
				g := float32(r.NormFloat64() * 3) // a norm well above 1: clipping scales
				a[i].Grad[j], b[i].Grad[j] = g, g
			}
		}
		ClipGradNorm(a, 1)
		if err := oa.Step(1e-3); err != nil {
			t.Fatal(err)
		}
		coef := ClipCoef(GradNorm(b), 1)
		if coef >= 1 {
			t.Fatalf("coef %v: the test needs clipping", coef)
		}
		g0 := append([]float32(nil), b[0].Grad...)
		if err := ob.StepScaled(1e-3, coef); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(g0, b[0].Grad) {
			t.Fatal("StepScaled wrote the gradients")
		}
		for i := range a {
			ma, va := oa.Moments(i)
			mb, vb := ob.Moments(i)
			for j := range a[i].Data {
				if math.Float32bits(a[i].Data[j]) != math.Float32bits(b[i].Data[j]) ||
					math.Float32bits(ma[j]) != math.Float32bits(mb[j]) || math.Float32bits(va[j]) != math.Float32bits(vb[j]) {
					t.Fatalf("step %d %s[%d]: p,m,v %v,%v,%v vs clip+step %v,%v,%v", step, a[i].Name, j, b[i].Data[j], mb[j], vb[j], a[i].Data[j], ma[j], va[j])
				}
			}
		}
	}
}
