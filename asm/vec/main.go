// Command vec generates the AVX2+FMA vector kernels of package kernels:
// dot/axpy/add/scale, the softmax, LayerNorm and GELU row kernels, with a
// vectorised exp and normal CDF, and the AdamW update.
//
//	go run ./vec -out ../kernels/vec_avx2_amd64.s -stubs ../kernels/vec_avx2_amd64.go -pkg kernels
//
// Every function takes n, a multiple of 8 (the Go wrappers in
// kernels/vec_amd64.go handle tails), and pointers to n floats. The Go
// equivalents (the math each one implements) are in kernels/generic.go and
// kernels/vec_amd64.go. The AVX-512 impl reuses these except GELU (-isa
// avx512, avx512.go): the row kernels are bound by memory and by
// exp/division latency more than by vector width.
package main

import (
	"flag"
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
	isa := flag.String("isa", "avx2", "instruction set: avx2 (every kernel) or avx512 (GELU)")
	flag.Parse()
	if *isa == "avx512" {
		mainAVX512()
		return
	}
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
	adamw()
	packBT8()
	packBN()
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
