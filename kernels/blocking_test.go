package kernels

import "testing"

// TestBlocking checks the derivation of kc, mc, nc on hand-computed cache
// configurations (per-core L1d / L2).
func TestBlocking(t *testing.T) {
	const K = 1 << 10
	cases := []struct {
		cpu        string
		l1d, l2    int
		mr, nr     int
		fromL2     bool
		kc, mc, nc int
	}{
		// avx2 6×16, B micro-panel in half of L1d: kc = l1d/2/64.
		// Zen 3: kc = 16K/64 = 256; mc = 256K/(256·4) = 256 → 252 (×6); nc = 256.
		{"Zen 3", 32 * K, 512 * K, 6, 16, false, 256, 252, 256},
		// Xeon: kc = 24K/64 = 384; mc = 1M/1536 = 682 → 678; nc = 682 → 672 (×16).
		{"Xeon", 48 * K, 2048 * K, 6, 16, false, 384, 678, 672},
		// Zen 5: kc = 384; mc = 512K/1536 = 341 → 336; nc = 341 → 336.
		{"Zen 5", 48 * K, 1024 * K, 6, 16, false, 384, 336, 336},
		// avx512 8×48, B micro-panel in a quarter of L2: kc = l2/4/192.
		// Zen 3: kc = 128K/192 = 682 → 680; mc = 256K/2720 = 96; nc = 96.
		{"Zen 3", 32 * K, 512 * K, 8, 48, true, 680, 96, 96},
		// Xeon: kc = 512K/192 = 2730 → 1024 (kcMax); mc = 1M/4096 = 256; nc = 256 → 240 (×48).
		{"Xeon", 48 * K, 2048 * K, 8, 48, true, 1024, 256, 240},
		// Zen 5: kc = 256K/192 = 1365 → 1024; mc = 512K/4096 = 128; nc = 128 → 96.
		{"Zen 5", 48 * K, 1024 * K, 8, 48, true, 1024, 128, 96},
		// neon 8×12 on a 64K/1M core: kc = 32K/48 = 682 → 680; mc = 512K/2720 = 192; nc = 192.
		{"arm64", 64 * K, 1024 * K, 8, 12, false, 680, 192, 192},
		// cpuid reported nothing: the 32K/512K fallback, as Zen 3.
		{"unknown", 0, 0, 6, 16, false, 256, 252, 256},
		{"unknown", -1, 0, 8, 48, true, 680, 96, 96},
		// Tiny caches clamp to kcMin and one tile.
		{"tiny", 1 * K, 16 * K, 6, 16, false, kcMin, 30, 32},
		{"tiny", 1 * K, 1 * K, 8, 48, true, kcMin, 8, 48},
	}
	for _, c := range cases {
		kc, mc, nc := blocking(c.mr, c.nr, c.fromL2, c.l1d, c.l2)
		if kc != c.kc || mc != c.mc || nc != c.nc {
			t.Errorf("%s L1d %d L2 %d, %d×%d tile: kc, mc, nc = %d, %d, %d; want %d, %d, %d",
				c.cpu, c.l1d, c.l2, c.mr, c.nr, kc, mc, nc, c.kc, c.mc, c.nc)
		}
	}
}

// TestKcFor checks that a K beyond kc is cut into equal blocks.
func TestKcFor(t *testing.T) {
	im := &impl{kc: 256}
	for _, c := range [][2]int{{0, 1}, {1, 1}, {256, 256}, {257, 136}, {768, 256}, {770, 200}, {3072, 256}, {1000, 256}, {1100, 224}} {
		if got := kcFor(im, c[0]); got != c[1] {
			t.Errorf("kcFor(kc 256, K %d) = %d, want %d", c[0], got, c[1])
		}
	}
	for _, im := range impls {
		if im.kc < kcMin || im.kc > kcMax || im.kc%8 != 0 || im.mc%im.mr != 0 || im.nc%im.nr != 0 || im.mc == 0 || im.nc == 0 {
			t.Errorf("%s: kc %d, mc %d, nc %d not a valid blocking", im.name, im.kc, im.mc, im.nc)
		}
	}
}
