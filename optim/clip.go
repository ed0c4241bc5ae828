package optim

import "math"

// GradNorm returns the global L2 norm of all gradients (nil grads skipped),
// accumulated in float64: per fixed-size block in parallel, then the block
// sums in order, so the result does not depend on the number of cores.
//
// A sparse gradient (Param.Sparse) counts as its dense form with zeros in
// the untouched rows, and gives the same bits: a block's squares are summed
// in element order, and adding the square of a zero changes no sum. An
// invalid sparse gradient (a row out of range or listed twice) makes the
// norm NaN; Step reports it as an error.
func GradNorm(params []Param) float64 {
	vs, err := views(params)
	if err != nil {
		return math.NaN()
	}
	bs := blocksOf(func(i int) int { return gradLen(params, i) }, len(params))
	partial := make([]float64, len(bs))
	forBlocks(bs, func(k int, b block) {
		var s [2]float64 // squares of the elements at even and odd offsets from b.lo
		if vs != nil && vs[b.param] != nil {
			vs[b.param].segments(b.lo, b.hi, func(lo, _ int, g []float32) {
				sumSquares(&s, g, (lo-b.lo)&1)
			})
		} else {
			sumSquares(&s, params[b.param].Grad[b.lo:b.hi], 0)
		}
		partial[k] = s[0] + s[1]
	})
	var s float64
	for _, x := range partial {
		s += x
	}
	return math.Sqrt(s)
}

// sumSquares adds the squares of g to s, g[0] going to s[parity] and the
// following elements alternating: two independent sums, in element order.
func sumSquares(s *[2]float64, g []float32, parity int) {
	s0, s1 := s[parity], s[1-parity]
	for len(g) >= 2 {
		s0 += float64(g[0]) * float64(g[0])
		s1 += float64(g[1]) * float64(g[1])
		g = g[2:]
	}
	if len(g) == 1 {
		s0 += float64(g[0]) * float64(g[0])
	}
	s[parity], s[1-parity] = s0, s1
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
	// A sparse gradient's touched values are scaled in place; its zeros
	// stay zeros.
	grads := make([][]float32, len(params))
	for i, p := range params {
		grads[i] = p.Grad
		if p.Sparse != nil {
			_, grads[i], _ = p.Sparse.RowGrads()
		}
	}
	bs := blocksOf(func(i int) int { return len(grads[i]) }, len(params))
	forBlocks(bs, func(_ int, b block) {
		g := grads[b.param][b.lo:b.hi]
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
