//go:build !purego

package kernels

import (
	"math"
	"unsafe"
)

// Slice wrappers around the AVX2 vector kernels (vec_avx2_amd64.s). The asm
// handles n rounded down to a multiple of 8; tails run here: in plain Go for
// the exact operations, through an 8-float stack buffer for exp-based ones so
// every element gets the same polynomial.

func p32(s []float32) *float32 { return unsafe.SliceData(s) }

// vecChunk bounds the floats one asm call processes (a multiple of 8): asm is
// not async-preemptible, and an optimizer step over a 23M-float embedding
// must not hold off the GC for milliseconds.
const vecChunk = 1 << 15

// chunked calls f on consecutive [lo, hi) pieces of [0, n) of at most vecChunk.
func chunked(n int, f func(lo, hi int)) {
	for lo := 0; lo < n; lo += vecChunk {
		f(lo, min(lo+vecChunk, n))
	}
}

// addTileAVX2 and geluTileAVX2 are Add and GELU for the short rows of a GEMM
// epilogue (linear.go): one asm call, no chunking or threads, and the same
// per-element arithmetic as addAVX2s and geluAVX2s, so fused and separate
// results are bit-identical.
func addTileAVX2(dst, a, b []float32) {
	n := len(a) &^ 7
	if n > 0 {
		addAVX2(p32(dst), p32(a), p32(b), n)
	}
	addGeneric(dst[n:len(a)], a[n:], b[n:len(a)])
}

func geluTileAVX2(dst, x []float32) {
	n := len(x) &^ 7
	if n > 0 {
		geluAVX2(p32(dst), p32(x), n)
	}
	if n < len(x) {
		var buf [8]float32
		copy(buf[:], x[n:])
		geluAVX2(&buf[0], &buf[0], 8)
		copy(dst[n:len(x)], buf[:])
	}
}

func dotAVX2s(x, y []float32) float32 {
	n := len(x) &^ 7
	var s float32
	chunked(n, func(lo, hi int) { s += dotAVX2(p32(x[lo:]), p32(y[lo:]), hi-lo) })
	for i := n; i < len(x); i++ {
		s += x[i] * y[i]
	}
	return s
}

func axpyAVX2s(alpha float32, x, y []float32) {
	n := len(x) &^ 7
	chunked(n, func(lo, hi int) { axpyAVX2(alpha, p32(x[lo:]), p32(y[lo:]), hi-lo) })
	axpyGeneric(alpha, x[n:], y[n:len(x)])
}

func addAVX2s(dst, a, b []float32) {
	n := len(a) &^ 7
	chunked(n, func(lo, hi int) { addAVX2(p32(dst[lo:]), p32(a[lo:]), p32(b[lo:]), hi-lo) })
	addGeneric(dst[n:len(a)], a[n:], b[n:len(a)])
}

func scaleAVX2s(alpha float32, x []float32) {
	n := len(x) &^ 7
	chunked(n, func(lo, hi int) { scaleAVX2(alpha, p32(x[lo:]), hi-lo) })
	scaleGeneric(alpha, x[n:])
}

func sumAVX2s(x []float32) float32 {
	n := len(x) &^ 7
	var s float32
	chunked(n, func(lo, hi int) { s += sumAVX2(p32(x[lo:]), hi-lo) })
	for _, v := range x[n:] {
		s += v
	}
	return s
}

func sumSqDevAVX2s(x []float32, m float32) float32 {
	n := len(x) &^ 7
	var s float32
	chunked(n, func(lo, hi int) { s += sumSqDevAVX2(p32(x[lo:]), hi-lo, m) })
	for _, v := range x[n:] {
		s += (v - m) * (v - m)
	}
	return s
}

// softmaxRowAVX2 is softmaxRowsGeneric's row body (see api.go for the math).
func softmaxRowAVX2(yr, xr []float32, scale float32, mask []float32) {
	cols := len(xr)
	n := cols &^ 7
	mx := float32(negInf)
	if n > 0 {
		var mp *float32
		if mask != nil {
			mp = p32(mask)
		}
		mx = softmaxScaleMaxAVX2(p32(yr), p32(xr), mp, n, scale)
	}
	for j := n; j < cols; j++ {
		s := xr[j] * scale
		if mask != nil {
			s += mask[j]
		}
		yr[j] = s
		mx = max(mx, s)
	}
	if mx == negInf || mx != mx {
		// Every entry masked out (or NaN): the generic path defines the result.
		softmaxRowsGeneric(yr, yr, 1, cols, 1, nil)
		return
	}
	var sum float32
	if n > 0 {
		sum = expSubSumAVX2(p32(yr), n, mx)
	}
	if n < cols {
		var buf [8]float32
		for i := range buf {
			buf[i] = negInf
		}
		copy(buf[:], yr[n:])
		sum += expSubSumAVX2(&buf[0], 8, mx)
		copy(yr[n:], buf[:])
	}
	scaleAVX2s(1/sum, yr)
}

func softmaxRowsAVX2(dst, x []float32, rows, cols int, scale float32, mask []float32) {
	rowsParallel(rows, cols, func(r0, r1 int) {
		for i := r0; i < r1; i++ {
			softmaxRowAVX2(dst[i*cols:(i+1)*cols], x[i*cols:(i+1)*cols], scale, mask)
		}
	})
}

func softmaxRowsBackwardAVX2(dx, y, dy []float32, rows, cols int, scale float32) {
	n := cols &^ 7
	rowsParallel(rows, cols, func(r0, r1 int) {
		for i := r0; i < r1; i++ {
			yr, dyr, dxr := y[i*cols:(i+1)*cols], dy[i*cols:(i+1)*cols], dx[i*cols:(i+1)*cols]
			d := dotAVX2s(yr, dyr)
			if n > 0 {
				softmaxBackwardAVX2(p32(dxr), p32(yr), p32(dyr), n, d, scale)
			}
			for j := n; j < cols; j++ {
				dxr[j] += scale * yr[j] * (dyr[j] - d)
			}
		}
	})
}

func layerNormAVX2(dst, mean, rstd, x, gamma, beta []float32, rows, cols int, eps float32) {
	n := cols &^ 7
	rowsParallel(rows, cols, func(r0, r1 int) {
		for i := r0; i < r1; i++ {
			xr, yr := x[i*cols:(i+1)*cols], dst[i*cols:(i+1)*cols]
			m := sumAVX2s(xr) / float32(cols)
			rs := float32(1 / math.Sqrt(float64(sumSqDevAVX2s(xr, m)/float32(cols)+eps)))
			if n > 0 {
				lnApplyAVX2(p32(yr), p32(xr), p32(gamma), p32(beta), n, m, rs)
			}
			for j := n; j < cols; j++ {
				yr[j] = (xr[j]-m)*rs*gamma[j] + beta[j]
			}
			if mean != nil {
				mean[i] = m
			}
			if rstd != nil {
				rstd[i] = rs
			}
		}
	})
}

// layerNormBackwardAVX2 runs serially: every row accumulates into dgamma/dbeta.
func layerNormBackwardAVX2(dx, dgamma, dbeta, dy, x, mean, rstd, gamma []float32, rows, cols int) {
	if dgamma == nil || dbeta == nil {
		layerNormBackwardGeneric(dx, dgamma, dbeta, dy, x, mean, rstd, gamma, rows, cols)
		return
	}
	n := cols &^ 7
	for i := 0; i < rows; i++ {
		xr, dyr, dxr := x[i*cols:(i+1)*cols], dy[i*cols:(i+1)*cols], dx[i*cols:(i+1)*cols]
		m, rs := mean[i], rstd[i]
		var s1, s2 float32
		if n > 0 {
			s1, s2 = lnBackwardSumsAVX2(p32(dyr), p32(xr), p32(gamma), n, m, rs)
		}
		for j := n; j < cols; j++ {
			dn := dyr[j] * gamma[j]
			s1 += dn
			s2 += dn * (xr[j] - m) * rs
		}
		a, b := s1/float32(cols), s2/float32(cols)
		if n > 0 {
			lnBackwardApplyAVX2(p32(dxr), p32(dgamma), p32(dbeta), p32(dyr), p32(xr), p32(gamma), n, m, rs, a, b)
		}
		for j := n; j < cols; j++ {
			xhat := (xr[j] - m) * rs
			dbeta[j] += dyr[j]
			dgamma[j] += dyr[j] * xhat
			dxr[j] += rs * (dyr[j]*gamma[j] - a - xhat*b)
		}
	}
}

func geluAVX2s(dst, x []float32) {
	chunksParallel(len(x), func(lo, hi int) {
		n := (hi - lo) &^ 7
		chunked(n, func(a, b int) { geluAVX2(p32(dst[lo+a:]), p32(x[lo+a:]), b-a) })
		if lo+n < hi {
			var buf [8]float32
			copy(buf[:], x[lo+n:hi])
			geluAVX2(&buf[0], &buf[0], 8)
			copy(dst[lo+n:hi], buf[:])
		}
	})
}

func geluBackwardAVX2s(dx, x, dy []float32) {
	chunksParallel(len(x), func(lo, hi int) {
		n := (hi - lo) &^ 7
		chunked(n, func(a, b int) { geluBackwardAVX2(p32(dx[lo+a:]), p32(x[lo+a:]), p32(dy[lo+a:]), b-a) })
		if lo+n < hi {
			var bx, bdy, bdx [8]float32
			copy(bx[:], x[lo+n:hi])
			copy(bdy[:], dy[lo+n:hi])
			copy(bdx[:], dx[lo+n:hi])
			geluBackwardAVX2(&bdx[0], &bx[0], &bdy[0], 8)
			copy(dx[lo+n:hi], bdx[:])
		}
	})
}
