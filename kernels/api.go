package kernels

func checkGemm(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(errNegDim)
	}
	checkOperand(transA, m, k, a, lda, errShortA)
	checkOperand(transB, k, n, b, ldb, errShortB)
	checkOperand(false, m, n, c, ldc, errShortC)
}

// checkOperand checks a matrix operand whose op(X) is r×c (stored c×r when trans).
func checkOperand(trans bool, r, c int, x []float32, ld int, short string) {
	if trans {
		r, c = c, r
	}
	if ld < max(1, c) {
		panic(errBadLd)
	}
	if r > 0 && c > 0 && len(x) < (r-1)*ld+c {
		panic(short)
	}
}

// SoftmaxRows applies, to each of rows rows of x (rows×cols, contiguous),
//
//	y[i,j] = exp(s[i,j] - max_j s[i,j]) / Σ_j exp(s[i,j] - max_j s[i,j]),  s = scale*x[i,j] + mask[j]
//
// writing y into dst (dst may alias x). mask is an additive per-column mask of
// length cols, or nil. A row whose every entry is -Inf yields all zeros.
func SoftmaxRows(dst, x []float32, rows, cols int, scale float32, mask []float32) {
	if len(x) < rows*cols || len(dst) < rows*cols {
		panic(errShortSlice)
	}
	if mask != nil && len(mask) < cols {
		panic(errShortSlice)
	}
	cur().softmaxRows(dst, x, rows, cols, scale, mask)
}

// SoftmaxRowsBackward accumulates dx[i,j] += scale * y[i,j]*(dy[i,j] - Σ_j dy[i,j]*y[i,j])
// for rows×cols contiguous y (the softmax output) and dy.
func SoftmaxRowsBackward(dx, y, dy []float32, rows, cols int, scale float32) {
	if len(dx) < rows*cols || len(y) < rows*cols || len(dy) < rows*cols {
		panic(errShortSlice)
	}
	cur().softmaxRowsBackward(dx, y, dy, rows, cols, scale)
}

// LayerNorm normalises each row of x (rows×cols):
//
//	mean[i] = Σ_j x[i,j]/cols, rstd[i] = 1/sqrt(Σ_j (x[i,j]-mean[i])²/cols + eps)
//	y[i,j]  = (x[i,j]-mean[i])*rstd[i]*gamma[j] + beta[j]
//
// mean and rstd (length rows) are written for the backward pass; either may be
// nil in inference. dst may alias x.
func LayerNorm(dst, mean, rstd, x, gamma, beta []float32, rows, cols int, eps float32) {
	if len(x) < rows*cols || len(dst) < rows*cols || len(gamma) < cols || len(beta) < cols {
		panic(errShortSlice)
	}
	if (mean != nil && len(mean) < rows) || (rstd != nil && len(rstd) < rows) {
		panic(errShortSlice)
	}
	cur().layerNorm(dst, mean, rstd, x, gamma, beta, rows, cols, eps)
}

// LayerNormBackward accumulates the gradients of LayerNorm given dy, the
// input x and the saved mean/rstd:
//
//	xhat = (x-mean)*rstd; dbeta[j] += Σ_i dy; dgamma[j] += Σ_i dy*xhat
//	dxhat = dy*gamma; dx += rstd*(dxhat - mean_j(dxhat) - xhat*mean_j(dxhat*xhat))
//
// dgamma or dbeta may be nil when not needed.
func LayerNormBackward(dx, dgamma, dbeta, dy, x, mean, rstd, gamma []float32, rows, cols int) {
	if len(x) < rows*cols || len(dx) < rows*cols || len(dy) < rows*cols || len(gamma) < cols ||
		len(mean) < rows || len(rstd) < rows {
		panic(errShortSlice)
	}
	if (dgamma != nil && len(dgamma) < cols) || (dbeta != nil && len(dbeta) < cols) {
		panic(errShortSlice)
	}
	cur().layerNormBackward(dx, dgamma, dbeta, dy, x, mean, rstd, gamma, rows, cols)
}

// GELU writes dst[i] = 0.5*x[i]*(1+erf(x[i]/√2)) (exact erf GELU, as HF "gelu").
// dst may alias x.
func GELU(dst, x []float32) {
	if len(dst) < len(x) {
		panic(errShortSlice)
	}
	cur().gelu(dst[:len(x)], x)
}

// GELUBackward accumulates dx[i] += dy[i] * gelu'(x[i]),
// gelu'(x) = Φ(x) + x·φ(x).
func GELUBackward(dx, x, dy []float32) {
	if len(dx) < len(x) || len(dy) < len(x) {
		panic(errShortSlice)
	}
	cur().geluBackward(dx[:len(x)], x, dy[:len(x)])
}

// Axpy computes y[i] += alpha*x[i] for i < len(x).
func Axpy(alpha float32, x, y []float32) {
	if len(y) < len(x) {
		panic(errShortSlice)
	}
	cur().axpy(alpha, x, y[:len(x)])
}

// Add writes dst[i] = a[i] + b[i] for i < len(a). dst may alias a or b.
func Add(dst, a, b []float32) {
	if len(b) < len(a) || len(dst) < len(a) {
		panic(errShortSlice)
	}
	cur().add(dst[:len(a)], a, b[:len(a)])
}

// Scale computes x[i] *= alpha.
func Scale(alpha float32, x []float32) { cur().scale(alpha, x) }

// Dot returns Σ x[i]*y[i] for i < len(x).
func Dot(x, y []float32) float32 {
	if len(y) < len(x) {
		panic(errShortSlice)
	}
	return cur().dot(x, y[:len(x)])
}
