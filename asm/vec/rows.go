// Row kernels: LayerNorm, softmax (with the vector exp) and GELU (with the
// vector normal CDF).

package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

func lnApply() {
	TEXT("lnApplyAVX2", NOSPLIT, "func(dst, x, gamma, beta *float32, n int, m, rs float32)")
	Pragma("noescape")
	Doc("lnApplyAVX2 computes dst[i] = (x[i]-m)·rs·gamma[i] + beta[i], i < n (n % 8 == 0).")
	p := ptrs("dst", "x", "gamma", "beta")
	n := Load(Param("n"), GP64())
	m, rs := f32("m"), f32("rs")
	loop8(n, p, false, func(off int) {
		d := YMM()
		VMOVUPS(mem(p[1], off), d)
		VSUBPS(m, d, d)
		VMULPS(rs, d, d)
		VMULPS(mem(p[2], off), d, d)
		VADDPS(mem(p[3], off), d, d)
		VMOVUPS(d, mem(p[0], off))
	})
	ret()
}

func lnBackwardSums() {
	TEXT("lnBackwardSumsAVX2", NOSPLIT, "func(dy, x, gamma *float32, n int, m, rs float32) (sdn, sdnx float32)")
	Pragma("noescape")
	Doc("lnBackwardSumsAVX2 returns Σ dn and Σ dn·xhat with dn = dy·gamma, xhat = (x-m)·rs (n % 8 == 0).")
	p := ptrs("dy", "x", "gamma")
	n := Load(Param("n"), GP64())
	m, rs := f32("m"), f32("rs")
	s1, s2 := YMM(), YMM()
	VXORPS(s1, s1, s1)
	VXORPS(s2, s2, s2)
	loop8(n, p, false, func(off int) {
		dn, xh := YMM(), YMM()
		VMOVUPS(mem(p[0], off), dn)
		VMULPS(mem(p[2], off), dn, dn)
		VMOVUPS(mem(p[1], off), xh)
		VSUBPS(m, xh, xh)
		VMULPS(rs, xh, xh)
		VADDPS(dn, s1, s1)
		VFMADD231PS(xh, dn, s2)
	})
	Store(hreduce(s1, vaddps), ReturnIndex(0))
	Store(hreduce(s2, vaddps), ReturnIndex(1))
	ret()
}

func lnBackwardApply() {
	TEXT("lnBackwardApplyAVX2", NOSPLIT, "func(dx, dgamma, dbeta, dy, x, gamma *float32, n int, m, rs, a, b float32)")
	Pragma("noescape")
	Doc("lnBackwardApplyAVX2 accumulates, with xhat = (x-m)·rs and dn = dy·gamma:",
		"dx += rs·(dn - a - xhat·b); dgamma += dy·xhat; dbeta += dy (n % 8 == 0).")
	p := ptrs("dx", "dgamma", "dbeta", "dy", "x", "gamma")
	n := Load(Param("n"), GP64())
	m, rs, a, b := f32("m"), f32("rs"), f32("a"), f32("b")
	loop8(n, p, false, func(off int) {
		dy, xh, t := YMM(), YMM(), YMM()
		VMOVUPS(mem(p[3], off), dy)
		VMOVUPS(mem(p[4], off), xh)
		VSUBPS(m, xh, xh)
		VMULPS(rs, xh, xh)
		// dbeta += dy
		VADDPS(mem(p[2], off), dy, t)
		VMOVUPS(t, mem(p[2], off))
		// dgamma += dy·xhat
		VMOVUPS(mem(p[1], off), t)
		VFMADD231PS(xh, dy, t)
		VMOVUPS(t, mem(p[1], off))
		// dx += rs·(dy·gamma - a - xhat·b)
		VMULPS(mem(p[5], off), dy, t)
		VSUBPS(a, t, t)
		VFNMADD231PS(b, xh, t)
		VMOVUPS(mem(p[0], off), dy)
		VFMADD231PS(rs, t, dy)
		VMOVUPS(dy, mem(p[0], off))
	})
	ret()
}

func softmaxScaleMax() {
	TEXT("softmaxScaleMaxAVX2", NOSPLIT, "func(dst, x, mask *float32, n int, scale float32) float32")
	Pragma("noescape")
	Doc("softmaxScaleMaxAVX2 writes dst[i] = scale·x[i] + mask[i] (mask may be nil: no mask)",
		"and returns max_i dst[i] (n % 8 == 0, n > 0).")
	p := ptrs("dst", "x", "mask")
	n := Load(Param("n"), GP64())
	s := f32("scale")
	mx := YMM()
	VMOVUPS(cstBits(0xff800000), mx) // -Inf
	TESTQ(p[2], p[2])
	JE(LabelRef("nomask"))
	loop8(n, p, false, func(off int) {
		y := YMM()
		VMOVUPS(mem(p[1], off), y)
		VFMADD213PS(mem(p[2], off), s, y)
		VMOVUPS(y, mem(p[0], off))
		VMAXPS(y, mx, mx)
	})
	Store(hreduce(mx, vmaxps), ReturnIndex(0))
	ret()
	Label("nomask")
	q := p[:2]
	loop8(n, q, false, func(off int) {
		y := YMM()
		VMULPS(mem(p[1], off), s, y)
		VMOVUPS(y, mem(p[0], off))
		VMAXPS(y, mx, mx)
	})
	Store(hreduce(mx, vmaxps), ReturnIndex(0))
	ret()
}

// expPS returns exp(x) lane-wise (x is not modified).
func expPS(x VecVirtual) VecVirtual {
	xc, fx, r, p, t := YMM(), YMM(), YMM(), YMM(), YMM()
	VMINPS(cst(expHi), x, xc)
	VMAXPS(cst(expLo), xc, xc)
	VMULPS(cst(log2e), xc, fx)
	VROUNDPS(U8(0), fx, fx) // to nearest even
	VMOVAPS(xc, r)
	VFNMADD231PS(cst(ln2Hi), fx, r) // r -= n·ln2Hi
	VFNMADD231PS(cst(ln2Lo), fx, r) // r -= n·ln2Lo
	VMOVUPS(cst(expPoly[0]), p)
	for _, c := range expPoly[1:] {
		VFMADD213PS(cst(c), r, p) // p = p·r + c
	}
	VMULPS(r, r, t)
	VFMADD213PS(r, t, p) // p = p·r² + r
	VADDPS(cst(1), p, p)
	// 2^n: (n + 127) << 23 is the float32 bit pattern.
	VCVTPS2DQ(fx, t)
	VPADDD(cstBits(127), t, t)
	VPSLLD(U8(23), t, t)
	VMULPS(t, p, p)
	// Zero the lanes below the normal range (exp(-Inf) = 0 exactly).
	VCMPPS(U8(0x1d), cst(expMin), x, t) // t = x >= expMin (ordered)
	VANDPS(t, p, p)
	return p
}

func expSubSum() {
	TEXT("expSubSumAVX2", NOSPLIT, "func(x *float32, n int, m float32) float32")
	Pragma("noescape")
	Doc("expSubSumAVX2 sets x[i] = exp(x[i]-m) and returns Σ x[i] (n % 8 == 0).")
	p := ptrs("x")
	n := Load(Param("n"), GP64())
	m := f32("m")
	acc := YMM()
	VXORPS(acc, acc, acc)
	loop8(n, p, false, func(off int) {
		y := YMM()
		VMOVUPS(mem(p[0], off), y)
		VSUBPS(m, y, y)
		e := expPS(y)
		VMOVUPS(e, mem(p[0], off))
		VADDPS(e, acc, acc)
	})
	Store(hreduce(acc, vaddps), ReturnIndex(0))
	ret()
}

func softmaxBackward() {
	TEXT("softmaxBackwardAVX2", NOSPLIT, "func(dx, y, dy *float32, n int, dot, scale float32)")
	Pragma("noescape")
	Doc("softmaxBackwardAVX2 computes dx[i] += scale·y[i]·(dy[i] - dot) (n % 8 == 0).")
	p := ptrs("dx", "y", "dy")
	n := Load(Param("n"), GP64())
	d, s := f32("dot"), f32("scale")
	loop8(n, p, false, func(off int) {
		t, o := YMM(), YMM()
		VMOVUPS(mem(p[2], off), t)
		VSUBPS(d, t, t)
		VMULPS(mem(p[1], off), t, t)
		VMOVUPS(mem(p[0], off), o)
		VFMADD231PS(s, t, o)
		VMOVUPS(o, mem(p[0], off))
	})
	ret()
}

// erfcPolyEstrin sets q = P(t) = Σ a_i·t^i, a_i = erfcPoly[9-i], by
// Estrin's scheme: pairs a_{2j} + a_{2j+1}·t, then combined with t², t⁴,
// t⁸. Its dependency chain is 4 FMAs deep instead of Horner's 9; GELU is
// bound by that chain's latency (one vector's exp, divide and polynomial
// are serial), so this is what its throughput follows. reg allocates a
// vector register, c gives a broadcast constant operand.
func erfcPolyEstrin(q, t VecVirtual, reg func() VecVirtual, c func(float32) Mem) {
	a := func(i int) float32 { return erfcPoly[9-i] }
	pair := func(i int) VecVirtual { // a_i + a_{i+1}·t
		b := reg()
		VMOVUPS(c(a(i+1)), b)
		VFMADD213PS(c(a(i)), t, b)
		return b
	}
	t2, t4, t8 := reg(), reg(), reg()
	VMULPS(t, t, t2)
	b0, b1, b2, b3, b4 := pair(0), pair(2), pair(4), pair(6), pair(8)
	VMULPS(t2, t2, t4)
	VFMADD213PS(b0, t2, b1) // b1 = b1·t² + b0: Σ_{i<4}
	VFMADD213PS(b2, t2, b3) // b3 = b3·t² + b2: Σ_{4≤i<8} / t⁴
	VMULPS(t4, t4, t8)
	VFMADD213PS(b1, t4, b3) // Σ_{i<8}
	VMOVAPS(b4, q)
	VFMADD213PS(b3, t8, q) // + (a8 + a9·t)·t⁸
}

// cdfPS returns Φ(x), the standard normal CDF, lane-wise.
func cdfPS(x VecVirtual) VecVirtual {
	ax, z, t, q, one := YMM(), YMM(), YMM(), YMM(), YMM()
	VANDPS(cstBits(0x7fffffff), x, ax)
	VMULPS(cst(invSqrt2), ax, z)
	VMOVUPS(cst(1), one)
	VMOVUPS(cst(0.5), q)
	VFMADD213PS(one, z, q) // q = 0.5·z + 1
	VDIVPS(q, one, t)      // t = 1/q
	erfcPolyEstrin(q, t, YMM, cst)
	VMULPS(cst(-0.5), ax, z)
	VFMADD231PS(ax, z, q) // q += -x²/2  (= -z²)
	e := expPS(q)
	VMULPS(cst(0.5), t, t)
	VMULPS(e, t, t) // t = erfc(|x|/√2)/2 = Φ(-|x|)
	VSUBPS(t, one, one)
	// Φ(x) = x < 0 ? Φ(-|x|) : 1 - Φ(-|x|); the blend keys on x's sign bit.
	VBLENDVPS(x, t, one, one)
	return one
}

func gelu() {
	TEXT("geluAVX2", NOSPLIT, "func(dst, x *float32, n int)")
	Pragma("noescape")
	Doc("geluAVX2 computes dst[i] = x[i]·Φ(x[i]) (exact-erf GELU), i < n (n % 8 == 0).")
	p := ptrs("dst", "x")
	n := Load(Param("n"), GP64())
	loop8(n, p, false, func(off int) {
		x := YMM()
		VMOVUPS(mem(p[1], off), x)
		c := cdfPS(x)
		VMULPS(x, c, c)
		VMOVUPS(c, mem(p[0], off))
	})
	ret()
}

func geluBackward() {
	TEXT("geluBackwardAVX2", NOSPLIT, "func(dx, x, dy *float32, n int)")
	Pragma("noescape")
	Doc("geluBackwardAVX2 computes dx[i] += dy[i]·(Φ(x[i]) + x[i]·φ(x[i])), i < n (n % 8 == 0).")
	p := ptrs("dx", "x", "dy")
	n := Load(Param("n"), GP64())
	loop8(n, p, false, func(off int) {
		x, h := YMM(), YMM()
		VMOVUPS(mem(p[1], off), x)
		c := cdfPS(x)
		VMULPS(cst(-0.5), x, h)
		VMULPS(x, h, h) // -x²/2
		e := expPS(h)
		VMULPS(cst(invSqrt2Pi), e, e) // φ(x)
		VFMADD231PS(x, e, c)          // Φ + x·φ
		VMOVUPS(mem(p[0], off), h)
		VFMADD231PS(mem(p[2], off), c, h)
		VMOVUPS(h, mem(p[0], off))
	})
	ret()
}
