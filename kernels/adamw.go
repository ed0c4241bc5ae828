package kernels

import "math"

// AdamWScalars are the per-tensor constants of one AdamW step (torch 1.13
// _single_tensor_adamw with lr, betas (β1, β2), eps, weight_decay wd and the
// step count t):
//
//	Decay = 1 − lr·wd (applied only when DoDecay), B1 = β1, B2 = β2,
//	C1 = 1 − β1, C2 = 1 − β2, NegStep = −lr/(1 − β1ᵗ), BC2Sqrt = √(1 − β2ᵗ).
//
// With ScaleGrad the update reads each gradient as float32(g·GradScale),
// what clip_grad_norm_'s in-place scaling leaves in the gradient, without
// writing the scaled gradient back.
type AdamWScalars struct {
	Decay          float32
	DoDecay        bool
	GradScale      float32
	ScaleGrad      bool
	B1, B2, C1, C2 float32
	NegStep        float32
	BC2Sqrt        float32
	Eps            float32
}

// AdamW applies one AdamW update to the parameters p with gradients g and
// moments m, v (all of length len(g)), elementwise:
//
//	g = g·GradScale                  (when ScaleGrad; g itself is not written)
//	p = p·Decay                      (when DoDecay)
//	m = m·B1 + C1·g
//	v = v·B2 + (C2·g)·g
//	p = p + (NegStep·m) / (√v/BC2Sqrt + Eps)
//
// Every product, quotient, square root and sum is rounded to float32 in this
// order, as torch's one-kernel-per-op update does, and no FMA is used, so
// every impl gives the same bits as adamwGeneric.
func AdamW(p, g, m, v []float32, s AdamWScalars) {
	if len(p) < len(g) || len(m) < len(g) || len(v) < len(g) {
		panic(errShortSlice)
	}
	n := len(g)
	cur().adamw(p[:n], g, m[:n], v[:n], s)
}

// gradScale is the factor the vector kernels multiply every gradient by
// (1 when the update does not scale: ×1 changes no bits).
func (s *AdamWScalars) gradScale() float32 {
	if s.ScaleGrad {
		return s.GradScale
	}
	return 1
}

// adamwGeneric is the reference AdamW update. Each float32(...) conversion
// is a rounding torch performs and stops Go from fusing a*b+c.
func adamwGeneric(p, g, m, v []float32, s AdamWScalars) {
	p, m, v = p[:len(g)], m[:len(g)], v[:len(g)]
	if s.DoDecay {
		for j := range p {
			p[j] *= s.Decay
		}
	}
	for j, gj := range g {
		if s.ScaleGrad {
			gj = float32(gj * s.GradScale) // no fusing with the products below
		}
		mj := float32(m[j]*s.B1) + float32(s.C1*gj)
		vj := float32(v[j]*s.B2) + float32(float32(s.C2*gj)*gj)
		// float64 sqrt then one rounding equals the correctly rounded
		// float32 sqrt (53 ≥ 2·24+2 bits: double rounding is innocuous).
		denom := float32(float32(math.Sqrt(float64(vj)))/s.BC2Sqrt) + s.Eps
		p[j] += float32(s.NegStep*mj) / denom
		m[j], v[j] = mj, vj
	}
}
