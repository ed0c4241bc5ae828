// AdamW parameter update (the optimizer step of training).

package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/reg"
)

// adamw emits adamwAVX2 and adamwDecayAVX2. Go equivalent: adamwGeneric in
// kernels/generic.go, itself torch 1.13's _single_tensor_adamw op by op.
// Every product, quotient and sum is its own rounded instruction: no FMA,
// because torch rounds after each tensor op and optim's golden tests compare
// bits. VSQRTPS and VDIVPS are correctly rounded (IEEE 754), so each lane
// computes exactly what the scalar Go loop computes.
func adamw() {
	for _, decay := range []bool{false, true} {
		name, sig := "adamwAVX2", "func(p, grad, m, v *float32, n int, gscale, b1, b2, c1, c2, negStep, bc2Sqrt, eps float32)"
		doc := "adamwAVX2 is one AdamW step without weight decay on n floats (n % 8 == 0), g = grad·gscale:"
		if decay {
			name, sig = "adamwDecayAVX2", "func(p, grad, m, v *float32, n int, gscale, b1, b2, c1, c2, negStep, bc2Sqrt, eps, decay float32)"
			doc = "adamwDecayAVX2 is adamwAVX2 with decoupled weight decay p *= decay first:"
		}
		TEXT(name, NOSPLIT, sig)
		Pragma("noescape")
		Doc(doc,
			"m = b1·m + c1·g; v = b2·v + (c2·g)·g;",
			"p = p + (negStep·m) / (sqrt(v)/bc2Sqrt + eps), each operation rounded to float32.")
		ptr := ptrs("p", "grad", "m", "v") // not "g": the assembler reads g as the goroutine register
		n := Load(Param("n"), GP64())
		gs := f32("gscale")
		b1, b2, c1, c2 := f32("b1"), f32("b2"), f32("c1"), f32("c2")
		negStep, bc2Sqrt, eps := f32("negStep"), f32("bc2Sqrt"), f32("eps")
		var dec VecVirtual
		if decay {
			dec = f32("decay")
		}
		// Not unrolled: 8–9 broadcast constants leave too few of the 16 YMM
		// registers, and the divide/sqrt units, not the loop, set the pace.
		loop8(n, ptr, false, func(off int) {
			g, t := YMM(), YMM()
			// g = float32(grad·gscale): clip_grad_norm_'s in-place scaling,
			// fused (×1 changes no bits, NaN and signed zeros included).
			VMULPS(mem(ptr[1], off), gs, g)
			// m = float32(m·b1) + float32(c1·g)
			mm := YMM()
			VMULPS(mem(ptr[2], off), b1, mm)
			VMULPS(g, c1, t)
			VADDPS(t, mm, mm)
			VMOVUPS(mm, mem(ptr[2], off))
			// v = float32(v·b2) + float32(float32(c2·g)·g)
			vv := YMM()
			VMULPS(mem(ptr[3], off), b2, vv)
			VMULPS(g, c2, t)
			VMULPS(g, t, t)
			VADDPS(t, vv, vv)
			VMOVUPS(vv, mem(ptr[3], off))
			// denom = float32(sqrt(v)/bc2Sqrt) + eps (Go's VDIVPS a, b, c is c = b/a)
			d := YMM()
			VSQRTPS(vv, d)
			VDIVPS(bc2Sqrt, d, d)
			VADDPS(eps, d, d)
			// p = [float32(p·decay)] + float32(float32(negStep·m) / denom)
			VMULPS(mm, negStep, t)
			VDIVPS(d, t, t)
			pp := YMM()
			if decay {
				VMULPS(mem(ptr[0], off), dec, pp)
			} else {
				VMOVUPS(mem(ptr[0], off), pp)
			}
			VADDPS(t, pp, pp)
			VMOVUPS(pp, mem(ptr[0], off))
		})
		ret()
	}
}
