package baseline

import "math"

// lbfgs minimises a smooth function with limited-memory BFGS (Nocedal &
// Wright, Numerical Optimization, Algorithm 7.4 two-loop recursion) and a
// backtracking Armijo line search. fg returns f(x) and writes ∇f(x) into
// grad. It stops after maxIter iterations, when the largest gradient
// component is below gtol, or when f stops decreasing (relative change
// below ftol). Everything is sequential, so results are deterministic.
//
// Written here rather than taken from gonum/optimize, whose package pulls
// golang.org/x/tools into the module graph through stat/distmv.
func lbfgs(fg func(x, grad []float64) float64, x []float64, maxIter int, gtol, ftol float64) (f float64, iters int) {
	const (
		memory = 10
		c1     = 1e-4 // Armijo sufficient-decrease constant
	)
	n := len(x)
	g := make([]float64, n)
	f = fg(x, g)
	var S, Y [][]float64 // last `memory` steps s = Δx and gradient changes y = Δg
	var rho []float64
	d := make([]float64, n)
	xNew := make([]float64, n)
	gNew := make([]float64, n)
	alpha := make([]float64, memory)
	for iters = 0; iters < maxIter; iters++ {
		if infNorm(g) < gtol {
			return f, iters
		}
		// d = −H·g by the two-loop recursion.
		for i := range d {
			d[i] = -g[i]
		}
		for j := len(S) - 1; j >= 0; j-- {
			alpha[j] = rho[j] * dot(S[j], d)
			axpy(-alpha[j], Y[j], d)
		}
		if k := len(S) - 1; k >= 0 {
			scale(dot(S[k], Y[k])/dot(Y[k], Y[k]), d) // H0 = γI
		}
		for j := range S {
			beta := rho[j] * dot(Y[j], d)
			axpy(alpha[j]-beta, S[j], d)
		}
		slope := dot(g, d)
		if slope >= 0 { // not a descent direction: forget curvature, use −g
			S, Y, rho = S[:0], Y[:0], rho[:0]
			for i := range d {
				d[i] = -g[i]
			}
			slope = dot(g, d)
		}
		t := 1.0
		if len(S) == 0 {
			t = 1 / math.Max(1, math.Sqrt(-slope)) // first step: unit length
		}
		var fNew float64
		for ls := 0; ; ls++ {
			for i := range xNew {
				xNew[i] = x[i] + t*d[i]
			}
			fNew = fg(xNew, gNew)
			if fNew <= f+c1*t*slope || ls == 50 {
				break
			}
			t /= 2
		}
		if fNew > f { // line search failed to decrease: at the numerical minimum
			return f, iters
		}
		s := make([]float64, n)
		y := make([]float64, n)
		for i := range s {
			s[i] = xNew[i] - x[i]
			y[i] = gNew[i] - g[i]
		}
		if sy := dot(s, y); sy > 1e-12 {
			if len(S) == memory {
				S, Y, rho = S[1:], Y[1:], rho[1:]
			}
			S, Y, rho = append(S, s), append(Y, y), append(rho, 1/sy)
		}
		done := math.Abs(f-fNew) <= ftol*math.Max(1, math.Abs(f))
		copy(x, xNew)
		copy(g, gNew)
		f = fNew
		if done {
			return f, iters + 1
		}
	}
	return f, iters
}

func dot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func axpy(a float64, x, y []float64) {
	for i := range x {
		y[i] += a * x[i]
	}
}

func scale(a float64, x []float64) {
	for i := range x {
		x[i] *= a
	}
}

func infNorm(x []float64) float64 {
	var m float64
	for _, v := range x {
		m = math.Max(m, math.Abs(v))
	}
	return m
}
