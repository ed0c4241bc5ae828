// Command int8 generates the u8×s8 → s32 GEMM micro-kernels of package
// kernels (int8 dynamic quantization).
//
//	go run ./int8 -isa avx2|vnni -out ../kernels/gemm_int8_ISA_amd64.s -stubs ../kernels/gemm_int8_ISA_amd64.go -pkg kernels
//
// Go equivalent of every kernel: gemmU8S8MicroGeneric in kernels/int8_gemm.go.
//
// Packed layout (kernels.PackInt8): the weights B (n×k, s8, PyTorch Linear
// layout) are cut into panels of 16 output columns; inside a panel, k-group g
// (4 consecutive k) of column j is the 4 bytes at b[64·g + 4·j]. One 16-column
// k-group is therefore exactly 64 bytes: two YMM (AVX2) or one ZMM (VNNI),
// each 32-bit lane holding one column's 4 weights. A row's 4 activations
// a[i, 4g..4g+3] (u8) are broadcast to every lane, so a lane's 4 byte
// products summed are that column's contribution of the k-group.
//
// AVX2 has no u8×s8 dot into s32: VPMADDUBSW multiplies u8 by s8 and adds
// adjacent pairs into SATURATED s16, then VPMADDWD by ones adds the two s16
// of a lane into s32. The pair sum is exact only while |a0·w0 + a1·w1| ≤
// 32767, so the AVX2 kernel requires activations a ≤ 127 (the quantizer in
// kernels emits u8 in [0, 127], as fbgemm's reduce_range does for the same
// reason): 2·127·128 = 32512. VNNI's VPDPBUSD adds the four products in s32
// directly and is exact for every u8.
package main

import (
	"flag"
	"fmt"
	"log"
	"math"

	"github.com/mmcloughlin/avo/attr"
	. "github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/ir"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// nr is the panel width in output columns; kgBytes the bytes of one packed
// k-group of a panel.
const (
	nr      = 16
	kgBytes = 4 * nr
)

func main() {
	isa := flag.String("isa", "avx2", "instruction set: avx2 or vnni")
	flag.Parse()
	ConstraintExpr("!purego")
	switch *isa {
	case "avx2":
		ones := GLOBL("int8OnesI16", attr.RODATA|attr.NOPTR)
		for i := 0; i < 16; i++ {
			DATA(2*i, U16(1))
		}
		avx2Micro(ones)
		avx2MicroDequant(ones)
		quantizeKernels()
	case "vnni":
		vnniMicro()
	default:
		log.Fatalf("int8: unknown -isa %q", *isa)
	}
	Generate()
}

// rowMem returns the address of row i's current 4 activations. Rows are
// addressed as base[i/3] + (i%3)·lda, so one base register serves 3 rows
// (x86 scales 1 and 2 of the lda register).
func rowMem(bases []GPPhysical, lda GPPhysical, i int) Mem {
	m := Mem{Base: bases[i/3]}
	if s := i % 3; s > 0 {
		m.Index, m.Scale = lda, uint8(s)
	}
	return m
}

// prologue loads the arguments and sets up the row bases; it returns the
// k-group counter, the base registers, lda and the B pointer.
func prologue(mr int) (kg GPPhysical, bases []GPPhysical, lda, b GPPhysical) {
	kg, lda, b = RCX, R8, RDI
	Load(Param("kg"), kg)
	Load(Param("lda"), lda)
	Load(Param("b"), b)
	all := []GPPhysical{RSI, R9, R10, R11, R12, R13}
	bases = all[:(mr+2)/3]
	Load(Param("a"), bases[0])
	if len(bases) > 1 {
		LEAQ(Mem{Base: lda, Index: lda, Scale: 2}, RAX) // RAX = 3·lda
		for i := 1; i < len(bases); i++ {
			LEAQ(Mem{Base: bases[i-1], Index: RAX, Scale: 1}, bases[i])
		}
	}
	return
}

// avx2Loop emits the prologue and K loop shared by the AVX2 kernels: on
// exit acc[2i+v] holds the int32 sums of row i, columns 8v..8v+7, and the
// base registers are free. It returns the base registers.
func avx2Loop(acc []VecPhysical, ones Mem) (bases []GPPhysical) {
	const mr = 6
	w0, w1, x, t := Y12, Y13, Y14, Y15
	kg, bases, lda, b := prologue(mr)
	for _, r := range acc {
		VPXOR(r, r, r)
	}
	Label("loop")
	TESTQ(kg, kg)
	JE(LabelRef("store"))
	VMOVDQU(Mem{Base: b}, w0)
	VMOVDQU(Mem{Base: b, Disp: 32}, w1)
	for i := 0; i < mr; i++ {
		VPBROADCASTD(rowMem(bases, lda, i), x)
		for v, w := range []VecPhysical{w0, w1} {
			// t = pairwise u8·s8 sums (s16), then lane sums of pairs (s32).
			VPMADDUBSW(w, x, t)
			VPMADDWD(ones, t, t)
			VPADDD(t, acc[2*i+v], acc[2*i+v])
		}
	}
	for _, r := range bases {
		ADDQ(U8(4), r)
	}
	ADDQ(U8(kgBytes), b)
	DECQ(kg)
	JMP(LabelRef("loop"))
	Label("store")
	return bases
}

var avx2Acc = []VecPhysical{Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11} // acc[2i+v]: row i, columns 8v..8v+7

// avx2Micro emits
//
//	func gemmU8S8MicroAVX2(kg int, a *uint8, lda int, b *int8, c *int32)
//
// computing the 6×16 tile c[i*16+j] = Σ_{p<4·kg} a[i*lda+p]·B[j][p] with a
// u8 in [0, 127] and B the packed s8 panel (see the package comment).
func avx2Micro(ones Mem) {
	TEXT("gemmU8S8MicroAVX2", NOSPLIT, "func(kg int, a *uint8, lda int, b *int8, c *int32)")
	Pragma("noescape")
	Doc("gemmU8S8MicroAVX2 computes the 6×16 int32 tile c[i*16+j] = Σ_p a[i*lda+p]·B[j][p] over",
		"kg packed k-groups of 4 (VPMADDUBSW+VPMADDWD: exact only for a ≤ 127).")
	avx2Loop(avx2Acc, ones)
	c := RDX
	Load(Param("c"), c)
	for i := 0; i < 6; i++ {
		for v := 0; v < 2; v++ {
			VMOVDQU(avx2Acc[2*i+v], Mem{Base: c, Disp: 4 * (i*nr + 8*v)})
		}
	}
	VZEROUPPER()
	RET()
}

// avx2MicroDequant emits
//
//	func gemmU8S8DequantAVX2(kg int, a *uint8, lda int, b *int8, y *float32, ldy int,
//		colSum *int32, wScale, bias *float32, rowZero *int32, rowScale *float32)
//
// the same 6×16 product followed by the epilogue of kernels.int8Op:
//
//	y[i*ldy+j] = float32(C[i][j] − rowZero[i]·colSum[j]) · (rowScale[i]·wScale[j]) + bias[j]
//
// with separate multiply and add (no FMA), so it rounds exactly like the Go
// epilogue.
func avx2MicroDequant(ones Mem) {
	TEXT("gemmU8S8DequantAVX2", NOSPLIT, "func(kg int, a *uint8, lda int, b *int8, y *float32, ldy int, colSum *int32, wScale, bias *float32, rowZero *int32, rowScale *float32)")
	Pragma("noescape")
	Doc("gemmU8S8DequantAVX2 computes a 6×16 tile like gemmU8S8MicroAVX2 and writes",
		"y[i*ldy+j] = float32(C[i][j] − rowZero[i]·colSum[j])·(rowScale[i]·wScale[j]) + bias[j].")
	bases := avx2Loop(avx2Acc, ones)
	y0, y3, ldy := bases[0], bases[1], R8 // the A row registers are free now
	cs, ws, bias, rz, rs := RDI, RAX, RBX, R12, R13
	Load(Param("y"), y0)
	Load(Param("ldy"), ldy)
	SHLQ(U8(2), ldy) // floats -> bytes
	LEAQ(Mem{Base: ldy, Index: ldy, Scale: 2}, y3)
	ADDQ(y0, y3)
	Load(Param("colSum"), cs)
	Load(Param("wScale"), ws)
	Load(Param("bias"), bias)
	Load(Param("rowZero"), rz)
	Load(Param("rowScale"), rs)
	z, s, t, u := Y12, Y13, Y14, Y15
	for i := 0; i < 6; i++ {
		VPBROADCASTD(Mem{Base: rz, Disp: 4 * i}, z)
		VBROADCASTSS(Mem{Base: rs, Disp: 4 * i}, s)
		for v := 0; v < 2; v++ {
			a := avx2Acc[2*i+v]
			VPMULLD(Mem{Base: cs, Disp: 32 * v}, z, t) // t = zero·colSum
			VPSUBD(t, a, a)                            // a = C − zero·colSum
			VCVTDQ2PS(a, a)
			VMULPS(Mem{Base: ws, Disp: 32 * v}, s, u) // u = rowScale·wScale
			VMULPS(u, a, a)
			VADDPS(Mem{Base: bias, Disp: 32 * v}, a, a)
			dst := rowMem([]GPPhysical{y0, y3}, ldy, i)
			dst.Disp = 32 * v
			VMOVUPS(a, dst)
		}
	}
	VZEROUPPER()
	RET()
}

// vpdpbusd emits VPDPBUSD (avo v0.5.0 lacks AVX512_VNNI; the Go assembler
// has it): acc += per-lane Σ of 4 products u8(u) · s8(s). Go operand order:
// signed source, unsigned register, accumulator.
func vpdpbusd(s, u, acc VecPhysical) {
	Instruction(&ir.Instruction{
		Opcode:   "VPDPBUSD",
		Operands: []Op{s, u, acc},
		Inputs:   []Op{s, u, acc},
		Outputs:  []Op{acc},
		ISA:      []string{"AVX512_VNNI"},
	})
}

// vnniMicro emits
//
//	func gemmU8S8MicroVNNI(kg int, a *uint8, lda int, b *int8, c *int32)
//
// computing the 12×16 tile c[i*16+j] = Σ_{p<4·kg} a[i*lda+p]·B[j][p] for any
// u8 a, one ZMM accumulator per row. kernels registers it only behind a
// CPUID AVX512_VNNI check (cpu.go's features).
func vnniMicro() {
	const mr = 12
	zs := []VecPhysical{Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15,
		Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23, Z24, Z25, Z26, Z27, Z28, Z29, Z30, Z31}
	acc := zs[:mr]
	w := zs[mr]
	xs := zs[mr+1 : mr+3] // broadcast registers, alternated

	TEXT("gemmU8S8MicroVNNI", NOSPLIT, "func(kg int, a *uint8, lda int, b *int8, c *int32)")
	Pragma("noescape")
	Doc(fmt.Sprintf("gemmU8S8MicroVNNI computes the %d×16 int32 tile c[i*16+j] = Σ_p a[i*lda+p]·B[j][p] over", mr),
		"kg packed k-groups of 4 (VPDPBUSD, exact for every u8 a).")
	kg, bases, lda, b := prologue(mr)
	for _, r := range acc {
		VPXORD(r, r, r)
	}
	Label("loop")
	TESTQ(kg, kg)
	JE(LabelRef("store"))
	VMOVDQU32(Mem{Base: b}, w)
	for i := 0; i < mr; i++ {
		x := xs[i%2]
		VPBROADCASTD(rowMem(bases, lda, i), x)
		vpdpbusd(w, x, acc[i])
	}
	for _, r := range bases {
		ADDQ(U8(4), r)
	}
	ADDQ(U8(kgBytes), b)
	DECQ(kg)
	JMP(LabelRef("loop"))

	Label("store")
	c := RDX
	Load(Param("c"), c)
	for i := 0; i < mr; i++ {
		VMOVDQU32(acc[i], Mem{Base: c, Disp: 4 * i * nr})
	}
	VZEROUPPER()
	RET()
}

// quantizeKernels emits the bulk loops of kernels.quantizeRowU8:
//
//	func minMaxF32AVX2(x *float32, n int) (lo, hi float32)
//	func quantizeU8AVX2(dst *uint8, x *float32, n int, inv, zh float32)
//
// minMax returns min(0, x...) and max(0, x...) for n a multiple of 8;
// quantize writes dst[p] = uint8(trunc(clamp(float32(x[p]·inv) + zh, 0, 127)))
// for n a multiple of 32 (VMAXPS turns NaN into 0), exactly the Go loop's
// arithmetic: one rounded multiply, one rounded add, no FMA.
func quantizeKernels() {
	TEXT("minMaxF32AVX2", NOSPLIT, "func(x *float32, n int) (lo, hi float32)")
	Pragma("noescape")
	Doc("minMaxF32AVX2 returns min(0, x[:n]...) and max(0, x[:n]...); n is a multiple of 8.")
	x, n := RSI, RCX
	Load(Param("x"), x)
	Load(Param("n"), n)
	lo, hi, v := Y0, Y1, Y2
	VXORPS(lo, lo, lo)
	VXORPS(hi, hi, hi)
	Label("mmloop")
	TESTQ(n, n)
	JE(LabelRef("mmdone"))
	VMOVUPS(Mem{Base: x}, v)
	VMINPS(v, lo, lo)
	VMAXPS(v, hi, hi)
	ADDQ(U8(32), x)
	SUBQ(U8(8), n)
	JMP(LabelRef("mmloop"))
	Label("mmdone")
	// Horizontal reduction: halves, then pairs of pairs, then pairs.
	VEXTRACTF128(U8(1), lo, X2)
	VMINPS(X2, X0, X0)
	VEXTRACTF128(U8(1), hi, X3)
	VMAXPS(X3, X1, X1)
	for _, imm := range []uint8{0x4e, 0xb1} {
		VPERMILPS(U8(imm), X0, X2)
		VMINPS(X2, X0, X0)
		VPERMILPS(U8(imm), X1, X3)
		VMAXPS(X3, X1, X1)
	}
	VZEROUPPER()
	Store(X0, Return("lo"))
	Store(X1, Return("hi"))
	RET()

	c127 := GLOBL("int8F127", attr.RODATA|attr.NOPTR)
	DATA(0, U32(math.Float32bits(127))) // avo prints F32(127) as the integer $(127)
	perm := GLOBL("int8PackPerm", attr.RODATA|attr.NOPTR)
	for i, d := range []uint32{0, 4, 1, 5, 2, 6, 3, 7} {
		DATA(4*i, U32(d))
	}

	TEXT("quantizeU8AVX2", NOSPLIT, "func(dst *uint8, x *float32, n int, inv, zh float32)")
	Pragma("noescape")
	Doc("quantizeU8AVX2 writes dst[p] = uint8(trunc(clamp(float32(x[p]·inv) + zh, 0, 127))) for p < n, n a multiple of 32.")
	dst := RDI
	Load(Param("dst"), dst)
	Load(Param("x"), x)
	Load(Param("n"), n)
	vinv, vzh, vzero, vmax, vperm := Y8, Y9, Y10, Y11, Y12
	VBROADCASTSS(paramMem("inv"), vinv)
	VBROADCASTSS(paramMem("zh"), vzh)
	VXORPS(vzero, vzero, vzero)
	VBROADCASTSS(c127, vmax)
	VMOVDQU(perm, vperm)
	q := []VecPhysical{Y0, Y1, Y2, Y3}
	Label("qloop")
	TESTQ(n, n)
	JE(LabelRef("qdone"))
	for r, y := range q {
		VMULPS(Mem{Base: x, Disp: 32 * r}, vinv, y)
		VADDPS(vzh, y, y)
		VMAXPS(vzero, y, y) // Intel order max(y, 0): NaN in y gives 0
		VMINPS(vmax, y, y)
		VCVTTPS2DQ(y, y)
	}
	// In-lane packs leave dwords in order y0lo y1lo y2lo y3lo y0hi y1hi y2hi
	// y3hi (4 bytes each); VPERMD restores y0lo y0hi y1lo y1hi ...
	VPACKSSDW(q[1], q[0], q[0])
	VPACKSSDW(q[3], q[2], q[2])
	VPACKUSWB(q[2], q[0], q[0])
	VPERMD(q[0], vperm, q[0])
	VMOVDQU(q[0], Mem{Base: dst})
	ADDQ(U8(128), x)
	ADDQ(U8(32), dst)
	SUBQ(U8(32), n)
	JMP(LabelRef("qloop"))
	Label("qdone")
	VZEROUPPER()
	RET()
}

// paramMem returns the stack address of a scalar argument.
func paramMem(name string) Mem {
	b, err := Param(name).Resolve()
	if err != nil {
		log.Fatal(err)
	}
	return b.Addr
}
