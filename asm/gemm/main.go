// Command gemm generates the x86 SGEMM micro-kernels of package kernels and
// the FMA-peak loop used by its benchmarks.
//
//	go run ./gemm -isa avx2|avx512 -out ../kernels/gemm_ISA_amd64.s -stubs ../kernels/gemm_ISA_amd64.go -pkg kernels
//
// Go equivalent of the micro-kernel: gemmMicroGeneric in kernels/impl.go.
// Both ISAs share one emitter, parameterised by vector width and tile shape,
// so the AVX-512 code (untestable on AVX2-only machines) differs from the
// tested AVX2 code only in register names and sizes.
package main

import (
	"flag"
	"fmt"
	"log"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// tile describes one register-blocked micro-kernel.
type tile struct {
	suffix string        // "AVX2", "AVX512": Go function name suffix
	mr     int           // rows of C held in registers (floats of A broadcast per k)
	nv     int           // vectors per row of C (NR = nv*width)
	width  int           // float32 lanes per vector
	regs   []VecPhysical // every vector register of the ISA, in order
	zero   func(r VecPhysical)
}

// kUnroll is how many k steps one loop iteration performs. On Zen 3 (AVX2),
// interleaved with the FMA peak per CPU-second, 8 beat 4 by 2–4% in the
// micro-kernel alone and by 6% in whole BERT-shape GEMMs (86/82/86% of peak
// against 80/76/76%).
const kUnroll = 8

// peakChains is the number of independent FMA chains in the peak loop: at
// least latency (4) × FMA ports (2) are needed, 12 leaves margin.
const peakChains = 12

var (
	avx2 = tile{
		suffix: "AVX2", mr: 6, nv: 2, width: 8,
		regs: []VecPhysical{Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11, Y12, Y13, Y14, Y15},
		zero: func(r VecPhysical) { VXORPS(r, r, r) },
	}
	avx512 = tile{
		suffix: "AVX512", mr: 8, nv: 3, width: 16,
		regs: []VecPhysical{Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15,
			Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23, Z24, Z25, Z26, Z27, Z28, Z29, Z30, Z31},
		// VPXORD needs only AVX512F (VXORPS on zmm needs AVX512DQ).
		zero: func(r VecPhysical) { VPXORD(r, r, r) },
	}
)

func main() {
	isa := flag.String("isa", "avx2", "instruction set: avx2 or avx512")
	flag.Parse()
	var t tile
	switch *isa {
	case "avx2":
		t = avx2
	case "avx512":
		t = avx512
	default:
		log.Fatalf("gemm: unknown -isa %q", *isa)
	}
	ConstraintExpr("!purego")
	micro(t, t.mr)
	for rows := 1; rows < t.mr; rows++ {
		micro(t, rows)
	}
	peak(t)
	Generate()
}

// micro emits
//
//	func gemmMicro<ISA>(k int, a, b, c *float32, ldc int, accum int)
//
// computing the mr×nr tile  T[i][j] = Σ_p a[p*mr+i] * b[p*nr+j]  (a and b are
// packed panels) and then C[i*ldc+j] = T[i][j] when accum == 0, or
// C[i*ldc+j] += T[i][j] otherwise.
//
// With rows < mr it emits gemmMicro<ISA>R<rows>, the same kernel for the
// first rows rows of the tile only (the A panel keeps its mr floats per k):
// the last, partial panel of an M that mr does not divide (M = 128 rows of
// a batch-1 BERT GEMM leaves 2) costs rows/mr of a full call instead of a
// full one, and writes C directly instead of through a scratch tile. Its
// rows are bit-identical to the full kernel's.
func micro(t tile, rows int) {
	nr := t.nv * t.width
	nacc := rows * t.nv
	acc := t.regs[:nacc]
	bv := t.regs[nacc : nacc+t.nv]
	bc := t.regs[nacc+t.nv : nacc+t.nv+2] // two broadcast registers, alternated
	if nacc+t.nv+2 > len(t.regs) {
		log.Fatal("gemm: tile needs too many registers")
	}

	name := "gemmMicro" + t.suffix
	if rows < t.mr {
		name += fmt.Sprintf("R%d", rows)
	}
	TEXT(name, NOSPLIT, "func(k int, a, b, c *float32, ldc int, accum int)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s computes a %d×%d tile of C from packed panels a (%d floats per k) and b (%d floats per k);", name, rows, nr, t.mr, nr),
		"accum == 0 stores the tile, otherwise adds it to C. ldc is in floats.")
	Load(Param("k"), RCX)
	Load(Param("a"), RSI)
	Load(Param("b"), RDI)
	Load(Param("c"), RDX)
	Load(Param("ldc"), R8)
	Load(Param("accum"), R9)
	SHLQ(U8(2), R8) // ldc: floats -> bytes

	// C is read-modify-written after the K loop; its rows usually come from
	// L3 (a 3 MiB C for BERT shapes), so start fetching them now and let the
	// K loop hide the latency. A row of the tile may straddle two lines.
	Comment("Prefetch the C tile.")
	MOVQ(RDX, R10)
	for i := 0; i < rows; i++ {
		PREFETCHT0(Mem{Base: R10})
		PREFETCHT0(Mem{Base: R10, Disp: 4*nr - 4})
		if i < rows-1 {
			ADDQ(R8, R10)
		}
	}

	Comment("Zero the accumulators: acc[i*nv+v] holds C[i][v*width:(v+1)*width].")
	for _, r := range acc {
		t.zero(r)
	}

	// step emits one k step u of an unrolled iteration:
	// for v: bv[v] = b[u*nr + v*width :]; for i: x = bcast(a[u*mr+i]); acc[i][v] += x*bv[v].
	step := func(u int) {
		for v := 0; v < t.nv; v++ {
			VMOVUPS(Mem{Base: RDI, Disp: 4 * (u*nr + v*t.width)}, bv[v])
		}
		for i := 0; i < rows; i++ {
			x := bc[i%2]
			VBROADCASTSS(Mem{Base: RSI, Disp: 4 * (u*t.mr + i)}, x)
			for v := 0; v < t.nv; v++ {
				VFMADD231PS(bv[v], x, acc[i*t.nv+v])
			}
		}
	}

	Label("loop")
	CMPQ(RCX, U8(kUnroll))
	JL(LabelRef("tail"))
	for u := 0; u < kUnroll; u++ {
		step(u)
	}
	ADDQ(U32(4*kUnroll*t.mr), RSI)
	ADDQ(U32(4*kUnroll*nr), RDI)
	SUBQ(U8(kUnroll), RCX)
	JMP(LabelRef("loop"))

	Label("tail")
	TESTQ(RCX, RCX)
	JE(LabelRef("store"))
	step(0)
	ADDQ(U32(4*t.mr), RSI)
	ADDQ(U32(4*nr), RDI)
	DECQ(RCX)
	JMP(LabelRef("tail"))

	Label("store")
	TESTQ(R9, R9)
	JE(LabelRef("overwrite"))
	Comment("C += tile")
	for i := 0; i < rows; i++ {
		for v := 0; v < t.nv; v++ {
			m := Mem{Base: RDX, Disp: 4 * v * t.width}
			VADDPS(m, acc[i*t.nv+v], acc[i*t.nv+v])
			VMOVUPS(acc[i*t.nv+v], m)
		}
		if i < rows-1 {
			ADDQ(R8, RDX)
		}
	}
	VZEROUPPER()
	RET()

	Label("overwrite")
	Comment("C = tile")
	for i := 0; i < rows; i++ {
		for v := 0; v < t.nv; v++ {
			VMOVUPS(acc[i*t.nv+v], Mem{Base: RDX, Disp: 4 * v * t.width})
		}
		if i < rows-1 {
			ADDQ(R8, RDX)
		}
	}
	// Go compiles scalar float code to legacy SSE; dirty upper halves would
	// slow down the next SSE instruction.
	VZEROUPPER()
	RET()
}

// peak emits
//
//	func fmaPeak<ISA>(n int)
//
// running n iterations of peakChains independent vector FMAs (2*width*peakChains
// flops per iteration). It measures the machine's FMA throughput for the
// benchmarks' % of peak figures.
func peak(t tile) {
	TEXT("fmaPeak"+t.suffix, NOSPLIT, "func(n int)")
	Doc(fmt.Sprintf("fmaPeak%s runs n iterations of %d independent FMA chains (%d flops each).", t.suffix, peakChains, 2*t.width*peakChains))
	Load(Param("n"), RCX)
	acc := t.regs[:peakChains]
	x, y := t.regs[peakChains], t.regs[peakChains+1]
	for _, r := range t.regs[:peakChains+2] {
		t.zero(r)
	}
	Label("peakloop")
	TESTQ(RCX, RCX)
	JE(LabelRef("peakdone"))
	for _, r := range acc {
		VFMADD231PS(x, y, r)
	}
	DECQ(RCX)
	JMP(LabelRef("peakloop"))
	Label("peakdone")
	VZEROUPPER()
	RET()
}
