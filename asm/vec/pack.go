// GEMM packing helpers: 8×8 register transposes.

package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

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

// packBN emits the copy at the heart of packB without transB (B stored
// k×n: the backward's dX = dY·W, attention's P·V): k rows of 8·nv floats,
// row stride ldb floats, one after the other into the panel. One call per
// panel instead of a memmove call per row.
func packBN() {
	TEXT("packBNAVX2", NOSPLIT, "func(dst, src *float32, ldb, nv, k int)")
	Pragma("noescape")
	Doc("packBNAVX2 sets dst[p*8·nv+j] = src[p*ldb+j] for j < 8·nv, p < k, nv ≤ 6 (Go equivalent:",
		"the !transB loop of packB in kernels/pack.go).")
	d := Load(Param("dst"), GP64())
	sp := Load(Param("src"), GP64())
	ld := Load(Param("ldb"), GP64())
	nv := Load(Param("nv"), GP64())
	k := Load(Param("k"), GP64())
	SHLQ(U8(2), ld) // bytes per row of B
	// One loop per width keeps the vector count a constant of the body.
	for _, w := range []int{2, 6, 1, 3, 4, 5} {
		next := "pbn_not" + itoa(w)
		CMPQ(nv, U8(w))
		JNE(LabelRef(next))
		loop := "pbn" + itoa(w)
		Label(loop)
		TESTQ(k, k)
		JE(LabelRef("pbndone"))
		r := make([]VecVirtual, w)
		for v := range r {
			r[v] = YMM()
			VMOVUPS(Mem{Base: sp, Disp: 32 * v}, r[v])
		}
		for v := range r {
			VMOVUPS(r[v], Mem{Base: d, Disp: 32 * v})
		}
		ADDQ(ld, sp)
		ADDQ(U32(32*w), d)
		DECQ(k)
		JMP(LabelRef(loop))
		Label(next)
	}
	Label("pbndone")
	ret()
}

func itoa(i int) string { return string(rune('0' + i)) }
