//go:build !purego

#include "textflag.h"

// Hand-written (short enough not to need an emitter). Go equivalent:
// gemmU8S8MicroGeneric in int8_gemm.go; layout in asm/int8/main.go.
//
// func gemmU8S8MicroNEON(kg int, a *uint8, lda int, b *int8, c *int32)
//
// Computes the 6×16 int32 tile c[i*16+j] = Σ_p a[i*lda+p]·B[j][p] over kg
// packed k-groups of 4 with SDOT (ARMv8.2 dot product, signed×signed), so it
// is exact for activations a ≤ 127 (what kernels.QuantizeRowsU8 produces),
// like the AVX2 kernel. Per k-group: V24..V27 = the 64 packed bytes of B
// (4 columns × 4 k each), V28/V29 = row i's 4 activations broadcast to every
// 32-bit lane, and acc V(4i+c) += SDOT(V(24+c), V28/29): lane l of column
// quad c gains Σ_q B[4c+l][4g+q]·a[i][4g+q].
//
// The Go arm64 assembler has no SDOT: it is WORD-encoded,
// SDOT Vd.4S, Vn.16B, Vm.16B = 0x4E809400 | m<<16 | n<<5 | d.
TEXT ·gemmU8S8MicroNEON(SB), NOSPLIT, $0-40
	MOVD kg+0(FP), R0
	MOVD a+8(FP), R5
	MOVD lda+16(FP), R2
	MOVD b+24(FP), R3
	MOVD c+32(FP), R4
	// R5..R10: the 6 row pointers
	ADD R2, R5, R6
	ADD R2, R6, R7
	ADD R2, R7, R8
	ADD R2, R8, R9
	ADD R2, R9, R10
	// zero the 24 accumulators
	VEOR V0.B16, V0.B16, V0.B16
	VEOR V1.B16, V1.B16, V1.B16
	VEOR V2.B16, V2.B16, V2.B16
	VEOR V3.B16, V3.B16, V3.B16
	VEOR V4.B16, V4.B16, V4.B16
	VEOR V5.B16, V5.B16, V5.B16
	VEOR V6.B16, V6.B16, V6.B16
	VEOR V7.B16, V7.B16, V7.B16
	VEOR V8.B16, V8.B16, V8.B16
	VEOR V9.B16, V9.B16, V9.B16
	VEOR V10.B16, V10.B16, V10.B16
	VEOR V11.B16, V11.B16, V11.B16
	VEOR V12.B16, V12.B16, V12.B16
	VEOR V13.B16, V13.B16, V13.B16
	VEOR V14.B16, V14.B16, V14.B16
	VEOR V15.B16, V15.B16, V15.B16
	VEOR V16.B16, V16.B16, V16.B16
	VEOR V17.B16, V17.B16, V17.B16
	VEOR V18.B16, V18.B16, V18.B16
	VEOR V19.B16, V19.B16, V19.B16
	VEOR V20.B16, V20.B16, V20.B16
	VEOR V21.B16, V21.B16, V21.B16
	VEOR V22.B16, V22.B16, V22.B16
	VEOR V23.B16, V23.B16, V23.B16

loop:
	CBZ R0, store
	VLD1.P 64(R3), [V24.B16, V25.B16, V26.B16, V27.B16]
	VLD1R (R5), [V28.S4]
	ADD $4, R5
	WORD $0x4e9c9700 // sdot v0.4s, v24.16b, v28.16b
	WORD $0x4e9c9721 // sdot v1.4s, v25.16b, v28.16b
	WORD $0x4e9c9742 // sdot v2.4s, v26.16b, v28.16b
	WORD $0x4e9c9763 // sdot v3.4s, v27.16b, v28.16b
	VLD1R (R6), [V29.S4]
	ADD $4, R6
	WORD $0x4e9d9704 // sdot v4.4s, v24.16b, v29.16b
	WORD $0x4e9d9725 // sdot v5.4s, v25.16b, v29.16b
	WORD $0x4e9d9746 // sdot v6.4s, v26.16b, v29.16b
	WORD $0x4e9d9767 // sdot v7.4s, v27.16b, v29.16b
	VLD1R (R7), [V28.S4]
	ADD $4, R7
	WORD $0x4e9c9708 // sdot v8.4s, v24.16b, v28.16b
	WORD $0x4e9c9729 // sdot v9.4s, v25.16b, v28.16b
	WORD $0x4e9c974a // sdot v10.4s, v26.16b, v28.16b
	WORD $0x4e9c976b // sdot v11.4s, v27.16b, v28.16b
	VLD1R (R8), [V29.S4]
	ADD $4, R8
	WORD $0x4e9d970c // sdot v12.4s, v24.16b, v29.16b
	WORD $0x4e9d972d // sdot v13.4s, v25.16b, v29.16b
	WORD $0x4e9d974e // sdot v14.4s, v26.16b, v29.16b
	WORD $0x4e9d976f // sdot v15.4s, v27.16b, v29.16b
	VLD1R (R9), [V28.S4]
	ADD $4, R9
	WORD $0x4e9c9710 // sdot v16.4s, v24.16b, v28.16b
	WORD $0x4e9c9731 // sdot v17.4s, v25.16b, v28.16b
	WORD $0x4e9c9752 // sdot v18.4s, v26.16b, v28.16b
	WORD $0x4e9c9773 // sdot v19.4s, v27.16b, v28.16b
	VLD1R (R10), [V29.S4]
	ADD $4, R10
	WORD $0x4e9d9714 // sdot v20.4s, v24.16b, v29.16b
	WORD $0x4e9d9735 // sdot v21.4s, v25.16b, v29.16b
	WORD $0x4e9d9756 // sdot v22.4s, v26.16b, v29.16b
	WORD $0x4e9d9777 // sdot v23.4s, v27.16b, v29.16b
	SUB $1, R0
	B loop

store:
	VST1.P [V0.S4, V1.S4, V2.S4, V3.S4], 64(R4)
	VST1.P [V4.S4, V5.S4, V6.S4, V7.S4], 64(R4)
	VST1.P [V8.S4, V9.S4, V10.S4, V11.S4], 64(R4)
	VST1.P [V12.S4, V13.S4, V14.S4, V15.S4], 64(R4)
	VST1.P [V16.S4, V17.S4, V18.S4, V19.S4], 64(R4)
	VST1.P [V20.S4, V21.S4, V22.S4, V23.S4], 64(R4)
	RET
