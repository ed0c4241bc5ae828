package kernels

// Cache blocking of the GEMM (gemm.go), derived from the per-core data
// cache sizes that cpu.go reads, with the micro-tile (mr×nr) of each impl:
//
//   - kc, the depth of a packed block, sizes the B micro-panel (kc×nr
//     floats), which every A micro-panel of an M block reuses. For tiles
//     whose B micro-panel is fed from L1 (bFromL2 false: avx2, neon,
//     generic) it takes half of L1d: the other half holds the A micro-panel
//     and the C tile. The 8×48 AVX-512 tile issues 8 broadcasts and 3 loads
//     per 24 FMAs, few enough to stream B from L2 at full speed (measured at
//     97–99% of the FMA peak with kc = 768, against 79–82% with an L1-sized
//     kc = 256): its B micro-panel takes a quarter of L2, so BERT's K = 768
//     runs in one block and C is written once.
//   - mc, the rows of an M block, makes the packed A block (mc×kc) half of
//     L2; it stays there while the B micro-panels stream past it.
//   - nc, the columns of one N chunk when the work is split along N
//     (small M), makes a chunk's B block (kc×nc) half of L2.
//
// kc is a multiple of 8 in [kcMin, kcMax]; mc and nc are multiples of mr and
// nr, at least one tile. A K that does not fit one block is cut into
// ceil(K/kc) blocks of equal depth (gemmOp.init), not kc blocks plus a tail.

const (
	kcMin = 64
	kcMax = 1024

	// Used when cpuid reports no cache size (0): common per-core sizes of
	// current x86 and arm64 server cores, small enough to be safe on both.
	fallbackL1d = 32 << 10
	fallbackL2  = 512 << 10
)

// blocking returns kc, mc and nc for an mr×nr micro-tile on a core with l1d
// and l2 bytes of data cache (0: unknown).
func blocking(mr, nr int, bFromL2 bool, l1d, l2 int) (kc, mc, nc int) {
	if l1d <= 0 {
		l1d = fallbackL1d
	}
	if l2 <= 0 {
		l2 = fallbackL2
	}
	const f32 = 4
	if bFromL2 {
		kc = l2 / 4 / (nr * f32)
	} else {
		kc = l1d / 2 / (nr * f32)
	}
	kc = min(max(kc&^7, kcMin), kcMax)
	mc = max(l2/2/(kc*f32)/mr*mr, mr)
	nc = max(l2/2/(kc*f32)/nr*nr, nr)
	return kc, mc, nc
}

// withBlocking sets every impl's kc, mc and nc from cpu.go's cache sizes.
func withBlocking(ims []*impl) []*impl {
	for _, im := range ims {
		im.kc, im.mc, im.nc = blocking(im.mr, im.nr, im.bFromL2, features.l1d, features.l2)
	}
	return ims
}

// kcFor returns the block depth for a K of k: the fewest blocks of at most
// im.kc, made equally deep (rounded up to a multiple of 8).
func kcFor(im *impl, k int) int {
	if k <= im.kc {
		return max(k, 1)
	}
	nkb := (k + im.kc - 1) / im.kc
	return ((k+nkb-1)/nkb + 7) &^ 7
}
