package optim

import "math"

// GradNorm returns the global L2 norm of all gradients (nil grads skipped),
// accumulated in float64: per fixed-size block in parallel, then the block
// sums in order, so the result does not depend on the number of cores.
func GradNorm(params []Param) float64 {
	bs := blocksOf(func(i int) int { return len(params[i].Grad) }, len(params))
	partial := make([]float64, len(bs))
	forBlocks(bs, func(k int, b block) {
		var s0, s1 float64
		g := params[b.param].Grad[b.lo:b.hi]
		for len(g) >= 2 {
			s0 += float64(g[0]) * float64(g[0])
			s1 += float64(g[1]) * float64(g[1])
			g = g[2:]
		}
		if len(g) == 1 {
			s0 += float64(g[0]) * float64(g[0])
		}
		partial[k] = s0 + s1
	})
	var s float64
	for _, x := range partial {
		s += x
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
	bs := blocksOf(func(i int) int { return len(params[i].Grad) }, len(params))
	forBlocks(bs, func(_ int, b block) {
		g := params[b.param].Grad[b.lo:b.hi]
		for i := range g {
			g[i] *= coef
		}
	})
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
