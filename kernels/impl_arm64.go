//go:build !purego

package kernels

// archImpls: NEON (Advanced SIMD) is architecturally required on arm64, but
// check the HWCAP bit anyway so a kill switch works the same everywhere.
// Only the GEMM micro-kernel is NEON; the row kernels are the generic ones.
var archImpls = arm64Impls()

var neonImpl = &impl{
	name: "neon", requires: "ASIMD",
	mr: 8, nr: 12,
	micro: gemmMicroNEON,
	int8:  int8ForNEON(),
	dot:   dotGeneric, axpy: axpyGeneric, add: addGeneric, scale: scaleGeneric,
	softmaxRows: softmaxRowsGeneric, softmaxRowsBackward: softmaxRowsBackwardGeneric,
	layerNorm: layerNormGeneric, layerNormBackward: layerNormBackwardGeneric,
	gelu: geluGeneric, geluBackward: geluBackwardGeneric,
	addTile: addGeneric, geluTile: geluGeneric,
	adamw: adamwGeneric,
}

func arm64Impls() []*impl {
	if features.neon {
		return []*impl{neonImpl}
	}
	return nil
}
