package kernels

import "math"

// sgemmGeneric is the reference GEMM:
//
//	for i < m, j < n: c[i,j] = alpha * Σ_p opA[i,p]*opB[p,j] + beta*c[i,j]
//
// with the inner sum accumulated in float32 in p order.
func sgemmGeneric(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		crow := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(crow)
		} else if beta != 1 {
			for j := range crow {
				crow[j] *= beta
			}
		}
		if alpha == 0 || k == 0 {
			continue
		}
		for p := 0; p < k; p++ {
			var av float32
			if transA {
				av = a[p*lda+i]
			} else {
				av = a[i*lda+p]
			}
			av *= alpha
			if transB {
				for j := range crow {
					crow[j] += av * b[j*ldb+p]
				}
			} else {
				brow := b[p*ldb : p*ldb+n]
				for j, bv := range brow {
					crow[j] += av * bv
				}
			}
		}
	}
}

func softmaxRowsGeneric(dst, x []float32, rows, cols int, scale float32, mask []float32) {
	for i := 0; i < rows; i++ {
		xr := x[i*cols : (i+1)*cols]
		yr := dst[i*cols : (i+1)*cols]
		mx := float32(math.Inf(-1))
		for j, v := range xr {
			s := v * scale
			if mask != nil {
				s += mask[j]
			}
			yr[j] = s
			if s > mx {
				mx = s
			}
		}
		if math.IsInf(float64(mx), -1) {
			clear(yr)
			continue
		}
		var sum float32
		for j, s := range yr {
			e := float32(math.Exp(float64(s - mx)))
			yr[j] = e
			sum += e
		}
		inv := 1 / sum
		for j := range yr {
			yr[j] *= inv
		}
	}
}

func softmaxRowsBackwardGeneric(dx, y, dy []float32, rows, cols int, scale float32) {
	for i := 0; i < rows; i++ {
		yr := y[i*cols : (i+1)*cols]
		dyr := dy[i*cols : (i+1)*cols]
		dxr := dx[i*cols : (i+1)*cols]
		var dot float32
		for j := range yr {
			dot += yr[j] * dyr[j]
		}
		for j := range yr {
			dxr[j] += scale * yr[j] * (dyr[j] - dot)
		}
	}
}

func layerNormGeneric(dst, mean, rstd, x, gamma, beta []float32, rows, cols int, eps float32) {
	for i := 0; i < rows; i++ {
		xr := x[i*cols : (i+1)*cols]
		yr := dst[i*cols : (i+1)*cols]
		var sum float32
		for _, v := range xr {
			sum += v
		}
		m := sum / float32(cols)
		var vs float32
		for _, v := range xr {
			d := v - m
			vs += d * d
		}
		rs := float32(1 / math.Sqrt(float64(vs/float32(cols)+eps)))
		for j, v := range xr {
			yr[j] = (v-m)*rs*gamma[j] + beta[j]
		}
		if mean != nil {
			mean[i] = m
		}
		if rstd != nil {
			rstd[i] = rs
		}
	}
}

func layerNormBackwardGeneric(dx, dgamma, dbeta, dy, x, mean, rstd, gamma []float32, rows, cols int) {
	for i := 0; i < rows; i++ {
		xr := x[i*cols : (i+1)*cols]
		dyr := dy[i*cols : (i+1)*cols]
		dxr := dx[i*cols : (i+1)*cols]
		m, rs := mean[i], rstd[i]
		var dnormMean, dnormNormMean float32
		for j := range xr {
			xhat := (xr[j] - m) * rs
			dn := dyr[j] * gamma[j]
			dnormMean += dn
			dnormNormMean += dn * xhat
		}
		dnormMean /= float32(cols)
		dnormNormMean /= float32(cols)
		for j := range xr {
			xhat := (xr[j] - m) * rs
			dn := dyr[j] * gamma[j]
			if dbeta != nil {
				dbeta[j] += dyr[j]
			}
			if dgamma != nil {
				dgamma[j] += dyr[j] * xhat
			}
			dxr[j] += rs * (dn - dnormMean - xhat*dnormNormMean)
		}
	}
}

func geluGeneric(dst, x []float32) {
	for i, v := range x {
		dst[i] = float32(0.5 * float64(v) * (1 + math.Erf(float64(v)/math.Sqrt2)))
	}
}

func geluBackwardGeneric(dx, x, dy []float32) {
	const invSqrt2Pi = 0.3989422804014327
	for i, v := range x {
		xv := float64(v)
		cdf := 0.5 * (1 + math.Erf(xv/math.Sqrt2))
		pdf := invSqrt2Pi * math.Exp(-0.5*xv*xv)
		dx[i] += dy[i] * float32(cdf+xv*pdf)
	}
}

func axpyGeneric(alpha float32, x, y []float32) {
	for i, v := range x {
		y[i] += alpha * v
	}
}

func addGeneric(dst, a, b []float32) {
	for i := range a {
		dst[i] = a[i] + b[i]
	}
}

func scaleGeneric(alpha float32, x []float32) {
	for i := range x {
		x[i] *= alpha
	}
}

func dotGeneric(x, y []float32) float32 {
	var s float32
	for i := range x {
		s += x[i] * y[i]
	}
	return s
}
