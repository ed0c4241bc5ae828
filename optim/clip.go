package optim

import "math"

// GradNorm returns the global L2 norm of all gradients (nil grads skipped),
// accumulated in float64.
func GradNorm(params []Param) float64 {
	var s float64
	for _, p := range params {
		for _, g := range p.Grad {
			s += float64(g) * float64(g)
		}
	}
	return math.Sqrt(s)
}

// ClipGradNorm is torch.nn.utils.clip_grad_norm_ (norm_type 2) as HF's
// Trainer calls it: it returns the pre-clip global norm and, when maxNorm >
// 0, multiplies every gradient by
//
//	coef = min(1, maxNorm / (total + 1e-6))
//
// computed as torch 1.13 does in float32 (Tensor.__rtruediv__ is
// reciprocal() * other). With maxNorm <= 0 (HF: clipping disabled) the
// gradients are untouched. A non-finite norm propagates as in torch (NaN
// gradients); callers should check the returned norm before stepping.
func ClipGradNorm(params []Param, maxNorm float64) float64 {
	total := GradNorm(params)
	if maxNorm <= 0 {
		return total
	}
	coef := ClipCoef(total, maxNorm)
	if coef == 1 {
		return total // multiplying by 1 changes no bits
	}
	for _, p := range params {
		for i := range p.Grad {
			p.Grad[i] *= coef
		}
	}
	return total
}

// ClipCoef returns the float32 factor clip_grad_norm_ applies for a global
// norm total: min(1, float32(1/(float32(total)+1e-6)) * float32(maxNorm)).
func ClipCoef(total, maxNorm float64) float32 {
	recip := 1 / (float32(total) + float32(1e-6))
	coef := recip * float32(maxNorm)
	if coef > 1 { // torch.clamp(max=1.0); NaN stays NaN
		coef = 1
	}
	return coef
}
