package kernels

import "math"

// QuantizeRowsU8 quantizes each row of x (m×k, row stride ldx) to u8 in
// [0, Int8ActMax] with its own affine parameters (dynamic, per row):
//
//	lo = min(0, min_p x[i][p]),  hi = max(0, max_p x[i][p])
//	scale[i] = (hi − lo) / Int8ActMax   (1 when hi == lo == 0)
//	zero[i]  = round(−lo / scale[i])    ∈ [0, Int8ActMax]
//	dst[i][p] = clamp(round(x[i][p]/scale[i]) + zero[i], 0, Int8ActMax)
//
// so x ≈ scale·(dst − zero), with 0 exactly representable (PyTorch's
// dynamic quantization keeps 0 in the range too). Rounding is half away from
// zero of x/scale + zero. dst has row stride ldd ≥ k.
func QuantizeRowsU8(dst []uint8, ldd int, scale []float32, zero []int32, x []float32, ldx, m, k int) {
	if m < 0 || k < 0 {
		panic(errNegDim)
	}
	if ldd < k || ldx < k {
		panic(errBadLd)
	}
	if m == 0 {
		return
	}
	if len(x) < (m-1)*ldx+k || len(dst) < (m-1)*ldd+k || len(scale) < m || len(zero) < m {
		panic(errShortSlice)
	}
	im := curInt8()
	rowsParallel(m, k, func(r0, r1 int) {
		for i := r0; i < r1; i++ {
			scale[i], zero[i] = quantizeRowU8(im, dst[i*ldd:i*ldd+k], x[i*ldx:i*ldx+k])
		}
	})
}

func quantizeRowU8(im *int8Impl, dst []uint8, x []float32) (float32, int32) {
	var lo, hi float32
	bulk := 0
	if im.minMax != nil && len(x) >= 8 {
		bulk = len(x) &^ 7
		lo, hi = im.minMax(&x[0], bulk)
	}
	for _, v := range x[bulk:] {
		lo = min(lo, v)
		hi = max(hi, v)
	}
	s := (hi - lo) / Int8ActMax
	if !(s > 0) || math.IsInf(float64(s), 0) {
		// All zero (or non-finite input): any scale reproduces zeros; NaN
		// and Inf rows quantize to zero rather than to garbage.
		s = 1
		lo = 0
	}
	inv := 1 / s
	z := float32(math.Round(float64(-lo * inv)))
	z = min(max(z, 0), Int8ActMax)
	zh := z + 0.5 // exact: rounding half up becomes truncation
	bulk = 0
	if im.quantize != nil && len(x) >= 32 {
		bulk = len(x) &^ 31
		im.quantize(&dst[0], &x[0], bulk, inv, zh)
	}
	for p := bulk; p < len(x); p++ {
		// float32(·) forbids fusing into an FMA: the asm rounds the same way.
		q := float32(x[p]*inv) + zh
		if !(q > 0) { // also NaN, as VMAXPS does
			q = 0
		}
		q = min(q, Int8ActMax)
		dst[p] = uint8(q)
	}
	return s, int32(z)
}

// LinearInt8 computes y = x·Wᵀ + bias with int8 weights and dynamically
// quantized activations: x (m×k, row stride ldx) is quantized per row by
// QuantizeRowsU8, multiplied by w (W packed, n×k) in int32, and dequantised
// in the GEMM epilogue:
//
//	y[i][j] = scale[i]·wScale[j]·(Σ_p xq[i][p]·W[j][p] − zero[i]·Σ_p W[j][p]) + bias[j]
//
// wScale holds one scale per output column (per-channel weights; repeat the
// value for a per-tensor scale). bias may be nil. y has row stride ldy ≥ n.
func LinearInt8(m int, x []float32, ldx int, w *PackedInt8, wScale, bias []float32, y []float32, ldy int) {
	k, n := w.k, w.n
	if m < 0 {
		panic(errNegDim)
	}
	if ldx < max(k, 1) || ldy < max(n, 1) {
		panic(errBadLd)
	}
	if len(wScale) < n || (bias != nil && len(bias) < n) {
		panic(errShortB)
	}
	if m > 0 && len(x) < (m-1)*ldx+k {
		panic(errShortA)
	}
	if m > 0 && len(y) < (m-1)*ldy+n {
		panic(errShortC)
	}
	if m == 0 || n == 0 {
		return
	}
	linearInt8(m, x, ldx, w, wScale, bias, linearEpi{}, y, ldy)
}

// LinearInt8Fused is LinearInt8 on contiguous x (m×K) and y (m×N) with
// Linear's epilogue fused after the dequantisation, tile by tile:
//
//	y[i,j] = act(LinearInt8(x)[i,j]) + residual[i,j]
//
// (LinearInt8 already adds bias). residual (m×N) may be nil and must not
// overlap y. The result is bit-identical to LinearInt8 followed by GELU
// (when act is GELUActivation) and Add of residual.
func LinearInt8Fused(m int, x []float32, w *PackedInt8, wScale, bias []float32, act Activation, residual, y []float32) {
	k, n := w.k, w.n
	if m < 0 {
		panic(errNegDim)
	}
	if len(x) < m*k || len(y) < m*n || len(wScale) < n || (bias != nil && len(bias) < n) ||
		(residual != nil && len(residual) < m*n) {
		panic(errShortSlice)
	}
	if act > GELUActivation {
		panic(errBadAct)
	}
	if m == 0 || n == 0 {
		return
	}
	if residual != nil && overlaps(residual[:m*n], y[:m*n]) {
		panic(errResidualY)
	}
	post := linearEpi{on: act != NoActivation || residual != nil, res: residual, ldr: n, act: act}
	if k == 0 { // an empty product: y = bias (what LinearInt8 gives), then post
		for i := 0; i < m; i++ {
			if bias != nil {
				copy(y[i*n:(i+1)*n], bias)
			} else {
				clear(y[i*n : (i+1)*n])
			}
		}
		post.apply(cur(), y, n, 0, m, 0, n)
		return
	}
	linearInt8(m, x, k, w, wScale, bias, post, y, n)
}

// linearInt8 runs LinearInt8 (arguments checked) with post applied to each
// finished task block (when post.on).
func linearInt8(m int, x []float32, ldx int, w *PackedInt8, wScale, bias []float32, post linearEpi, y []float32, ldy int) {
	k, n := w.k, w.n
	s := int8ScratchPool.Get().(*int8Scratch)
	lp := 4 * max(w.kg, 1)
	s.size(m, lp)
	QuantizeRowsU8(s.a, lp, s.scale, s.zero, x, ldx, m, k)
	if bias == nil {
		bias = make([]float32, n) // the fused epilogue always adds one
	}
	op := &int8Op{im: curInt8(), m: m, a: s.a, lda: lp, pb: w,
		y: y, ldy: ldy, rowSc: s.scale, rowZero: s.zero, wScale: wScale, bias: bias,
		post: post, fim: cur()}
	op.run()
	int8ScratchPool.Put(s)
}
