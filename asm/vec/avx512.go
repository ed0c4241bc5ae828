package main

import (
	"fmt"
	"math"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// The AVX-512 row kernels: the AVX2 algorithms of rows.go on 16-lane ZMM
// registers, the same IEEE operations in the same order per lane, so every
// lane's result is bit-identical to the AVX2 kernel's. What AVX2 does with
// VBLENDVPS and VANDPS masks is done with opmask registers (VPMOVD2M,
// VCMPPS into K, VBLENDMPS, zero-masked moves), and VROUNDPS becomes
// VRNDSCALEPS with the same round-to-nearest-even immediate.

var zconsts = map[uint32]Mem{}

// zcst returns a 64-byte constant holding v in all 16 lanes.
func zcst(v float32) Mem { return zcstBits(math.Float32bits(v)) }

func zcstBits(b uint32) Mem {
	m, ok := zconsts[b]
	if !ok {
		panic(fmt.Sprintf("constant %#x not declared", b))
	}
	return m
}

func zdeclare(b uint32) {
	if _, ok := zconsts[b]; ok {
		return
	}
	m := GLOBL(fmt.Sprintf("zconst_%08x", b), RODATA|NOPTR)
	for i := 0; i < 16; i++ {
		DATA(4*i, U32(b))
	}
	zconsts[b] = m
}

func zdeclareAll() {
	fs := []float32{expHi, expLo, expMin, log2e, ln2Hi, ln2Lo, 1, 0.5, -0.5, invSqrt2}
	fs = append(fs, expPoly...)
	fs = append(fs, erfcPoly...)
	for _, f := range fs {
		zdeclare(math.Float32bits(f))
	}
	zdeclare(127)        // exponent bias
	zdeclare(0x7fffffff) // |x| mask
}

// mainAVX512 generates the AVX-512 file.
func mainAVX512() {
	ConstraintExpr("!purego")
	zdeclareAll()
	gelu512()
	Generate()
}

// expPS512 is expPS on 16 lanes.
func expPS512(x VecVirtual) VecVirtual {
	xc, fx, r, p, t := ZMM(), ZMM(), ZMM(), ZMM(), ZMM()
	VMINPS(zcst(expHi), x, xc)
	VMAXPS(zcst(expLo), xc, xc)
	VMULPS(zcst(log2e), xc, fx)
	VRNDSCALEPS(U8(0), fx, fx) // to nearest even, as VROUNDPS $0
	VMOVAPS(xc, r)
	VFNMADD231PS(zcst(ln2Hi), fx, r)
	VFNMADD231PS(zcst(ln2Lo), fx, r)
	VMOVUPS(zcst(expPoly[0]), p)
	for _, c := range expPoly[1:] {
		VFMADD213PS(zcst(c), r, p)
	}
	VMULPS(r, r, t)
	VFMADD213PS(r, t, p)
	VADDPS(zcst(1), p, p)
	VCVTPS2DQ(fx, t)
	VPADDD(zcstBits(127), t, t)
	VPSLLD(U8(23), t, t)
	VMULPS(t, p, p)
	// Zero the lanes below the normal range: keep lanes with x >= expMin.
	VCMPPS(U8(0x1d), zcst(expMin), x, K1)
	VMOVAPS_Z(p, K1, p)
	return p
}

// cdfPS512 is cdfPS on 16 lanes.
func cdfPS512(x VecVirtual) VecVirtual {
	ax, z, t, q, one := ZMM(), ZMM(), ZMM(), ZMM(), ZMM()
	VANDPS(zcstBits(0x7fffffff), x, ax)
	VMULPS(zcst(invSqrt2), ax, z)
	VMOVUPS(zcst(1), one)
	VMOVUPS(zcst(0.5), q)
	VFMADD213PS(one, z, q)
	VDIVPS(q, one, t)
	erfcPolyEstrin(q, t, ZMM, zcst)
	VMULPS(zcst(-0.5), ax, z)
	VFMADD231PS(ax, z, q)
	e := expPS512(q)
	VMULPS(zcst(0.5), t, t)
	VMULPS(e, t, t)
	VSUBPS(t, one, one)
	// Φ(x) = x < 0 ? Φ(-|x|) : 1 - Φ(-|x|), keyed on x's sign bit.
	VPMOVD2M(x, K2)
	VBLENDMPS(t, one, K2, one)
	return one
}

func gelu512() {
	TEXT("geluAVX512", NOSPLIT, "func(dst, x *float32, n int)")
	Pragma("noescape")
	Doc("geluAVX512 computes dst[i] = x[i]·Φ(x[i]) (exact-erf GELU), i < n (n % 16 == 0),",
		"bit-identical per element to geluAVX2.")
	p := ptrs("dst", "x")
	n := Load(Param("n"), GP64())
	name := fmt.Sprintf("L%d", labelSeq)
	labelSeq++
	Label(name)
	TESTQ(n, n)
	JE(LabelRef(name + "done"))
	x := ZMM()
	VMOVUPS(mem(p[1], 0), x)
	c := cdfPS512(x)
	VMULPS(x, c, c)
	VMOVUPS(c, mem(p[0], 0))
	for _, r := range p {
		ADDQ(U8(64), r)
	}
	SUBQ(U8(16), n)
	JMP(LabelRef(name))
	Label(name + "done")
	ret()
}
