// Command vec generates the AVX2+FMA vector kernels of package kernels:
// dot/axpy/add/scale, the softmax, LayerNorm and GELU row kernels, with a
// vectorised exp and normal CDF.
//
//	go run ./vec -out ../kernels/vec_avx2_amd64.s -stubs ../kernels/vec_avx2_amd64.go -pkg kernels
//
// Every function takes n, a multiple of 8 (the Go wrappers in
// kernels/vec_amd64.go handle tails), and pointers to n floats. The Go
// equivalents (the math each one implements) are in kernels/generic.go and
// kernels/vec_amd64.go. The AVX-512 impl reuses these: the row kernels are
// bound by memory and by exp/division latency, not by vector width.
package main

import (
	"fmt"
	"math"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// Cephes expf: exp(x) = 2^n · e^r, n = round(x·log2 e), r = x − n·ln2 (ln2
// split in two for exactness), e^r by a degree-7 polynomial. ≤ 1 ulp on the
// float32 range (checked in kernels/vec_test.go).
const (
	expHi  = 88.3762626647949 // largest x with 2^round(x·log2e) < 2^128
	expLo  = -88.0            // clamp before computing; results for x < expMin are zeroed
	expMin = -87.33654        // below this exp(x) underflows float32 normals: return 0
	log2e  = 1.44269504088896341
	ln2Hi  = 0.693359375
	ln2Lo  = -2.12194440e-4
)

var expPoly = []float32{1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1}

// Numerical Recipes erfcc (Chebyshev fit, fractional error < 1.2e-7 for all
// z >= 0): erfc(z) = t·exp(−z² + P(t)), t = 1/(1 + z/2). Φ(x) = erfc(|x|/√2)/2
// for x < 0 and 1 − that for x >= 0, so the GELU tails keep relative accuracy.
var erfcPoly = []float32{0.17087277, -0.82215223, 1.48851587, -1.13520398, 0.27886807, -0.18628806, 0.09678418, 0.37409196, 1.00002368, -1.26551223}

const (
	invSqrt2   = 0.70710678118654752
	invSqrt2Pi = 0.3989422804014327
)

var consts = map[uint32]Mem{}

// cst returns a 32-byte constant holding v in all 8 lanes (AVX2 has no
// embedded broadcast, so FMA memory operands need full vectors).
func cst(v float32) Mem { return cstBits(math.Float32bits(v)) }

func cstBits(b uint32) Mem {
	m, ok := consts[b]
	if !ok {
		panic(fmt.Sprintf("constant %#x not declared", b))
	}
	return m
}

func declare(b uint32) {
	if _, ok := consts[b]; ok {
		return
	}
	m := GLOBL(fmt.Sprintf("vconst_%08x", b), RODATA|NOPTR)
	for i := 0; i < 8; i++ {
		DATA(4*i, U32(b))
	}
	consts[b] = m
}

func declareAll() {
	fs := []float32{expHi, expLo, expMin, log2e, ln2Hi, ln2Lo, 1, 0.5, -0.5, invSqrt2, invSqrt2Pi}
	fs = append(fs, expPoly...)
	fs = append(fs, erfcPoly...)
	for _, f := range fs {
		declare(math.Float32bits(f))
	}
	declare(0xff800000) // -Inf
	declare(127)        // exponent bias
	declare(0x7fffffff) // |x| mask
}

func main() {
	ConstraintExpr("!purego")
	declareAll()
	dot()
	axpy()
	add()
	scale()
	sum()
	sumSqDev()
	lnApply()
	lnBackwardSums()
	lnBackwardApply()
	softmaxScaleMax()
	expSubSum()
	softmaxBackward()
	gelu()
	geluBackward()
	packBT8()
	packA6()
	Generate()
}

// ptrs loads the named pointer parameters into fresh registers.
func ptrs(names ...string) []Register {
	out := make([]Register, len(names))
	for i, n := range names {
		out[i] = Load(Param(n), GP64())
	}
	return out
}

func f32(name string) VecVirtual {
	x := XMM()
	Load(Param(name), x)
	y := YMM()
	VBROADCASTSS(x, y)
	return y
}

func mem(p Register, off int) Mem { return Mem{Base: p, Disp: off} }

// hsum reduces y's 8 lanes with op (VADDPS or VMAXPS) into lane 0 of y.AsX().
func hreduce(y VecVirtual, op func(a, b, c Op)) Register {
	x := y.AsX()
	hi := XMM()
	VEXTRACTF128(U8(1), y, hi)
	op(hi, x, x)
	t := XMM()
	VPERMILPS(U8(0x4e), x, t)
	op(t, x, x)
	VPERMILPS(U8(0xb1), x, t)
	op(t, x, x)
	return x
}

func vaddps(a, b, c Op) { VADDPS(a, b, c) }
func vmaxps(a, b, c Op) { VMAXPS(a, b, c) }

// loop8 emits `for n > 0 { body(offset); n -= 8; pointers += 32 }`, 4× unrolled
// when unroll is true.
func loop8(n Register, p []Register, unroll bool, body func(off int)) {
	name := fmt.Sprintf("L%d", labelSeq)
	labelSeq++
	if unroll {
		Label(name + "x4")
		CMPQ(n, U8(32))
		JL(LabelRef(name))
		for u := 0; u < 4; u++ {
			body(32 * u)
		}
		for _, r := range p {
			ADDQ(U8(128), r)
		}
		SUBQ(U8(32), n)
		JMP(LabelRef(name + "x4"))
	}
	Label(name)
	TESTQ(n, n)
	JE(LabelRef(name + "done"))
	body(0)
	for _, r := range p {
		ADDQ(U8(32), r)
	}
	SUBQ(U8(8), n)
	JMP(LabelRef(name))
	Label(name + "done")
}

var labelSeq int

func ret() {
	VZEROUPPER()
	RET()
}

func dot() {
	TEXT("dotAVX2", NOSPLIT, "func(x, y *float32, n int) float32")
	Pragma("noescape")
	Doc("dotAVX2 returns Σ x[i]·y[i], i < n (n % 8 == 0).")
	p := ptrs("x", "y")
	n := Load(Param("n"), GP64())
	acc := []VecVirtual{YMM(), YMM(), YMM(), YMM()}
	for _, a := range acc {
		VXORPS(a, a, a)
	}
	u := 0
	loop8(n, p, true, func(off int) {
		x := YMM()
		VMOVUPS(mem(p[0], off), x)
		VFMADD231PS(mem(p[1], off), x, acc[off/32])
		u++
	})
	VADDPS(acc[1], acc[0], acc[0])
	VADDPS(acc[3], acc[2], acc[2])
	VADDPS(acc[2], acc[0], acc[0])
	Store(hreduce(acc[0], vaddps), ReturnIndex(0))
	ret()
}

func axpy() {
	TEXT("axpyAVX2", NOSPLIT, "func(alpha float32, x, y *float32, n int)")
	Pragma("noescape")
	Doc("axpyAVX2 computes y[i] += alpha·x[i], i < n (n % 8 == 0).")
	a := f32("alpha")
	p := ptrs("x", "y")
	n := Load(Param("n"), GP64())
	loop8(n, p, true, func(off int) {
		y := YMM()
		VMOVUPS(mem(p[1], off), y)
		VFMADD231PS(mem(p[0], off), a, y)
		VMOVUPS(y, mem(p[1], off))
	})
	ret()
}

func add() {
	TEXT("addAVX2", NOSPLIT, "func(dst, a, b *float32, n int)")
	Pragma("noescape")
	Doc("addAVX2 computes dst[i] = a[i] + b[i], i < n (n % 8 == 0).")
	p := ptrs("dst", "a", "b")
	n := Load(Param("n"), GP64())
	loop8(n, p, true, func(off int) {
		y := YMM()
		VMOVUPS(mem(p[1], off), y)
		VADDPS(mem(p[2], off), y, y)
		VMOVUPS(y, mem(p[0], off))
	})
	ret()
}

func scale() {
	TEXT("scaleAVX2", NOSPLIT, "func(alpha float32, x *float32, n int)")
	Pragma("noescape")
	Doc("scaleAVX2 computes x[i] *= alpha, i < n (n % 8 == 0).")
	a := f32("alpha")
	p := ptrs("x")
	n := Load(Param("n"), GP64())
	loop8(n, p, true, func(off int) {
		y := YMM()
		VMULPS(mem(p[0], off), a, y)
		VMOVUPS(y, mem(p[0], off))
	})
	ret()
}

func sum() {
	TEXT("sumAVX2", NOSPLIT, "func(x *float32, n int) float32")
	Pragma("noescape")
	Doc("sumAVX2 returns Σ x[i], i < n (n % 8 == 0).")
	p := ptrs("x")
	n := Load(Param("n"), GP64())
	acc := []VecVirtual{YMM(), YMM(), YMM(), YMM()}
	for _, a := range acc {
		VXORPS(a, a, a)
	}
	loop8(n, p, true, func(off int) {
		VADDPS(mem(p[0], off), acc[off/32], acc[off/32])
	})
	VADDPS(acc[1], acc[0], acc[0])
	VADDPS(acc[3], acc[2], acc[2])
	VADDPS(acc[2], acc[0], acc[0])
	Store(hreduce(acc[0], vaddps), ReturnIndex(0))
	ret()
}

func sumSqDev() {
	TEXT("sumSqDevAVX2", NOSPLIT, "func(x *float32, n int, m float32) float32")
	Pragma("noescape")
	Doc("sumSqDevAVX2 returns Σ (x[i]-m)², i < n (n % 8 == 0).")
	p := ptrs("x")
	n := Load(Param("n"), GP64())
	m := f32("m")
	acc := []VecVirtual{YMM(), YMM(), YMM(), YMM()}
	for _, a := range acc {
		VXORPS(a, a, a)
	}
	loop8(n, p, true, func(off int) {
		d := YMM()
		VMOVUPS(mem(p[0], off), d)
		VSUBPS(m, d, d)
		VFMADD231PS(d, d, acc[off/32])
	})
	VADDPS(acc[1], acc[0], acc[0])
	VADDPS(acc[3], acc[2], acc[2])
	VADDPS(acc[2], acc[0], acc[0])
	Store(hreduce(acc[0], vaddps), ReturnIndex(0))
	ret()
}

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

// cdfPS returns Φ(x), the standard normal CDF, lane-wise.
func cdfPS(x VecVirtual) VecVirtual {
	ax, z, t, q, one := YMM(), YMM(), YMM(), YMM(), YMM()
	VANDPS(cstBits(0x7fffffff), x, ax)
	VMULPS(cst(invSqrt2), ax, z)
	VMOVUPS(cst(1), one)
	VMOVUPS(cst(0.5), q)
	VFMADD213PS(one, z, q) // q = 0.5·z + 1
	VDIVPS(q, one, t)      // t = 1/q
	VMOVUPS(cst(erfcPoly[0]), q)
	for _, c := range erfcPoly[1:] {
		VFMADD213PS(cst(c), t, q) // q = q·t + c
	}
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

// packBT8 emits the transposing copy at the heart of packB for transB
// (PyTorch weights [n, k]): 8 rows of B become 8 columns of the packed panel.
func packBT8() {
	TEXT("packBT8AVX2", NOSPLIT, "func(dst, src *float32, ldb, nr, kb int)")
	Pragma("noescape")
	Doc("packBT8AVX2 sets dst[p*nr+i] = src[i*ldb+p] for i < 8, p < 8·kb (Go equivalent:",
		"the transB loop of packB in kernels/pack.go). Each 8×8 block is transposed in registers.")
	d := Load(Param("dst"), GP64())
	sp := Load(Param("src"), GP64())
	ld := Load(Param("ldb"), GP64())
	nr := Load(Param("nr"), GP64())
	kb := Load(Param("kb"), GP64())
	SHLQ(U8(2), ld) // bytes per row of B
	SHLQ(U8(2), nr) // bytes per row of the panel
	ld3, nr3 := GP64(), GP64()
	LEAQ(Mem{Base: ld, Index: ld, Scale: 2}, ld3)
	LEAQ(Mem{Base: nr, Index: nr, Scale: 2}, nr3)
	s4, d4 := GP64(), GP64()

	Label("pbtloop")
	TESTQ(kb, kb)
	JE(LabelRef("pbtdone"))
	LEAQ(Mem{Base: sp, Index: ld, Scale: 4}, s4)
	LEAQ(Mem{Base: d, Index: nr, Scale: 4}, d4)
	srcs := []Mem{{Base: sp}, {Base: sp, Index: ld, Scale: 1}, {Base: sp, Index: ld, Scale: 2}, {Base: sp, Index: ld3, Scale: 1},
		{Base: s4}, {Base: s4, Index: ld, Scale: 1}, {Base: s4, Index: ld, Scale: 2}, {Base: s4, Index: ld3, Scale: 1}}
	dsts := []Mem{{Base: d}, {Base: d, Index: nr, Scale: 1}, {Base: d, Index: nr, Scale: 2}, {Base: d, Index: nr3, Scale: 1},
		{Base: d4}, {Base: d4, Index: nr, Scale: 1}, {Base: d4, Index: nr, Scale: 2}, {Base: d4, Index: nr3, Scale: 1}}
	r := make([]VecVirtual, 8)
	for i := range r {
		r[i] = YMM()
		VMOVUPS(srcs[i], r[i]) // row i: b_i[p..p+7]
	}
	cols := transpose8(r)
	for c := 0; c < 8; c++ {
		VMOVUPS(cols[c], dsts[c])
	}
	ADDQ(U8(32), sp)
	LEAQ(Mem{Base: d4, Index: nr, Scale: 4}, d)
	DECQ(kb)
	JMP(LabelRef("pbtloop"))
	Label("pbtdone")
	ret()
}

// transpose8 returns the 8 columns of the 8×8 block whose rows are r:
// out[c][i] = r[i][c].
func transpose8(r []VecVirtual) []VecVirtual {
	t := make([]VecVirtual, 8)
	for i := 0; i < 4; i++ {
		t[2*i], t[2*i+1] = YMM(), YMM()
		VUNPCKLPS(r[2*i+1], r[2*i], t[2*i])   // a0 b0 a1 b1 | a4 b4 a5 b5
		VUNPCKHPS(r[2*i+1], r[2*i], t[2*i+1]) // a2 b2 a3 b3 | a6 b6 a7 b7
	}
	sv := make([]VecVirtual, 8)
	for h := 0; h < 2; h++ { // rows 0-3, then rows 4-7
		for q := 0; q < 2; q++ {
			lo, hi := t[4*h+q], t[4*h+2+q]
			sv[4*h+2*q], sv[4*h+2*q+1] = YMM(), YMM()
			VSHUFPS(U8(0x44), hi, lo, sv[4*h+2*q])   // column 2q   (and 2q+4) of 4 rows
			VSHUFPS(U8(0xee), hi, lo, sv[4*h+2*q+1]) // column 2q+1 (and 2q+5)
		}
	}
	out := make([]VecVirtual, 8)
	for c := 0; c < 4; c++ {
		out[c], out[c+4] = YMM(), YMM()
		VPERM2F128(U8(0x20), sv[4+c], sv[c], out[c])   // column c of all 8 rows
		VPERM2F128(U8(0x31), sv[4+c], sv[c], out[c+4]) // column c+4
	}
	return out
}

// packA6 emits packA's common case for the 6×16 AVX2 tile.
func packA6() {
	TEXT("packA6AVX2", NOSPLIT, "func(dst, src *float32, lda, kb int, alpha float32)")
	Pragma("noescape")
	Doc("packA6AVX2 sets dst[p*6+i] = alpha·src[i*lda+p] for i < 6, p < 8·kb (Go equivalent:",
		"packA6 in kernels/pack.go). Each 8-float store also writes 2 floats past its",
		"6: the caller must leave room (dst[48·kb], dst[48·kb+1]) and rewrite them after.")
	d := Load(Param("dst"), GP64())
	sp := Load(Param("src"), GP64())
	ld := Load(Param("lda"), GP64())
	kb := Load(Param("kb"), GP64())
	al := f32("alpha")
	SHLQ(U8(2), ld)
	ld3, s4 := GP64(), GP64()
	LEAQ(Mem{Base: ld, Index: ld, Scale: 2}, ld3)
	Label("pa6loop")
	TESTQ(kb, kb)
	JE(LabelRef("pa6done"))
	LEAQ(Mem{Base: sp, Index: ld, Scale: 4}, s4)
	srcs := []Mem{{Base: sp}, {Base: sp, Index: ld, Scale: 1}, {Base: sp, Index: ld, Scale: 2}, {Base: sp, Index: ld3, Scale: 1},
		{Base: s4}, {Base: s4, Index: ld, Scale: 1}}
	r := make([]VecVirtual, 8)
	for i := range r {
		r[i] = YMM()
		if i < 6 {
			VMULPS(srcs[i], al, r[i]) // row i: alpha·a_i[p..p+7]
		} else {
			VXORPS(r[i], r[i], r[i]) // rows 6, 7: padding, overwritten
		}
	}
	cols := transpose8(r)
	for c := 0; c < 8; c++ { // in order: store c+1 overwrites store c's 2 extra floats
		VMOVUPS(cols[c], Mem{Base: d, Disp: 24 * c})
	}
	ADDQ(U8(32), sp)
	ADDQ(U8(192), d)
	DECQ(kb)
	JMP(LabelRef("pa6loop"))
	Label("pa6done")
	ret()
}
