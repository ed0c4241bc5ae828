package safetensors

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Every binary16 value widens to the float32 the format defines:
// (-1)^s * 2^(e-15) * (1 + m/1024), or 2^-14 * m/1024 for subnormals.
func TestF16ToFloat32AllValues(t *testing.T) {
	for h := 0; h < 1<<16; h++ {
		s, e, m := h>>15, (h>>10)&0x1f, h&0x3ff
		got := F16ToFloat32(uint16(h))
		var want float64
		switch {
		case e == 0x1f && m == 0:
			want = math.Inf(1)
		case e == 0x1f:
			if got == got {
				t.Fatalf("%#04x: %g, want NaN", h, got)
			}
			continue
		case e == 0:
			want = math.Ldexp(float64(m)/1024, -14)
		default:
			want = math.Ldexp(1+float64(m)/1024, e-15)
		}
		if s == 1 {
			want = -want
		}
		if float64(got) != want || math.Signbit(float64(got)) != (s == 1) {
			t.Fatalf("%#04x: got %g, want %g", h, got, want)
		}
	}
}

// Float32ToF16 rounds to nearest, ties to even: checked on every half value,
// every midpoint between neighbours, and one float32 ulp either side.
func TestFloat32ToF16RoundsToNearestEven(t *testing.T) {
	for h := 0; h < 0x7c00; h++ { // non-negative finite halves
		x := F16ToFloat32(uint16(h))
		if got := Float32ToF16(x); got != uint16(h) {
			t.Fatalf("exact %g: got %#04x, want %#04x", x, got, h)
		}
		if got := Float32ToF16(-x); got != uint16(h)|0x8000 {
			t.Fatalf("exact %g: got %#04x", -x, got)
		}
		// Midpoint to the next half up (for 0x7bff the next is +Inf = 65536).
		next := float64(65536)
		if h+1 < 0x7c00 {
			next = float64(F16ToFloat32(uint16(h + 1)))
		}
		mid := float32((float64(x) + next) / 2) // exact: halves have 11 bits
		even := uint16(h)
		if h&1 == 1 {
			even = uint16(h + 1)
		}
		if got := Float32ToF16(mid); got != even {
			t.Fatalf("tie %g between %#04x and next: got %#04x, want %#04x", mid, h, got, even)
		}
		if got := Float32ToF16(math.Nextafter32(mid, 0)); got != uint16(h) {
			t.Fatalf("below tie %g: got %#04x, want %#04x", mid, got, h)
		}
		if got := Float32ToF16(math.Nextafter32(mid, float32(math.Inf(1)))); got != uint16(h+1) {
			t.Fatalf("above tie %g: got %#04x, want %#04x", mid, got, h+1)
		}
	}
	for _, c := range []struct {
		in   float32
		want uint16
	}{
		{float32(math.Inf(1)), 0x7c00}, {float32(math.Inf(-1)), 0xfc00},
		{65520, 0x7c00}, {1e10, 0x7c00}, {-1e10, 0xfc00},
		{float32(math.Ldexp(1, -25)), 0}, // exactly half the smallest subnormal: tie to even 0
		{math.SmallestNonzeroFloat32, 0}, {float32(math.Copysign(0, -1)), 0x8000},
	} {
		if got := Float32ToF16(c.in); got != c.want {
			t.Errorf("Float32ToF16(%g) = %#04x, want %#04x", c.in, got, c.want)
		}
	}
	if got := Float32ToF16(float32(math.NaN())); got&0x7c00 != 0x7c00 || got&0x3ff == 0 {
		t.Errorf("NaN -> %#04x", got)
	}
}

// BF16: reference is float64 arithmetic rounding to 8 significant bits.
func TestFloat32ToBF16(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	ref := func(x float32) uint16 {
		b := math.Float32bits(x)
		lo, hi := b&0xffff0000, (b&0xffff0000)+0x10000
		dLo := math.Abs(float64(x) - float64(math.Float32frombits(lo)))
		dHi := math.Abs(float64(math.Float32frombits(hi)) - float64(x))
		if math.IsInf(float64(math.Float32frombits(hi)), 0) || math.IsNaN(float64(math.Float32frombits(hi))) {
			// The distance to the next representable step past MaxFloat32.
			dHi = math.Abs(math.Ldexp(1, 128)*math.Copysign(1, float64(x)) - float64(x))
		}
		if dLo < dHi || (dLo == dHi && (lo>>16)&1 == 0) {
			return uint16(lo >> 16)
		}
		return uint16(hi >> 16)
	}
	for i := 0; i < 1_000_000; i++ {
		x := math.Float32frombits(r.Uint32())
		if x != x || math.IsInf(float64(x), 0) {
			continue
		}
		if got, want := Float32ToBF16(x), ref(x); got != want {
			t.Fatalf("Float32ToBF16(%g = %#08x) = %#04x, want %#04x", x, math.Float32bits(x), got, want)
		}
	}
	for h := 0; h < 1<<16; h++ { // exact values round-trip
		x := BF16ToFloat32(uint16(h))
		if x != x {
			continue
		}
		if got := Float32ToBF16(x); got != uint16(h) {
			t.Fatalf("%#04x -> %g -> %#04x", h, x, got)
		}
	}
	if Float32ToBF16(float32(math.NaN())) != 0x7fc0 || Float32ToBF16(math.MaxFloat32) != 0x7f80 {
		t.Error("NaN or overflow")
	}
	// Tie 1 + 2^-8: halfway between 1 (even) and 1+2^-7.
	if Float32ToBF16(1+1.0/256) != 0x3f80 || Float32ToBF16(1+3.0/256) != 0x3f82 {
		t.Error("ties to even")
	}
}

func TestF8Widening(t *testing.T) {
	for _, c := range []struct {
		x    uint8
		e5m2 float32
		e4m3 float32
	}{
		{0x00, 0, 0},
		{0x01, float32(math.Ldexp(1, -16)), float32(math.Ldexp(1, -9))},
		{0x38, 0.5, 1},     // E5M2 0 01110 00 = 2^-1; E4M3 0 0111 000 = 1
		{0x3c, 1, 1.5},     // E5M2 0 01111 00 = 1;    E4M3 0 0111 100 = 1.5
		{0x7e, 0, 448},     // E4M3 max; E5M2 0x7e is NaN (checked below)
		{0xc0, -2, -2},     // both: sign, E5M2 10000 00 = 2; E4M3 1000 000 = 2
		{0x7b, 57344, 352}, // E5M2 max finite; E4M3 2^8 * 1.375
		{0x7c, 1e30, 384},  // E5M2 +Inf (checked below)
		{0x80, 0, 0},       // -0: == cannot tell it from +0; its sign is checked below
	} {
		if c.x != 0x7e && c.x != 0x7c && F8E5M2ToFloat32(c.x) != c.e5m2 {
			t.Errorf("E5M2 %#02x = %g, want %g", c.x, F8E5M2ToFloat32(c.x), c.e5m2)
		}
		if F8E4M3ToFloat32(c.x) != c.e4m3 {
			t.Errorf("E4M3 %#02x = %g, want %g", c.x, F8E4M3ToFloat32(c.x), c.e4m3)
		}
	}
	if !math.IsInf(float64(F8E5M2ToFloat32(0x7c)), 1) || F8E5M2ToFloat32(0x7e) == F8E5M2ToFloat32(0x7e) {
		t.Error("E5M2 Inf/NaN")
	}
	// Go's -0.0 literal is +0, so negative zero needs an explicit sign check.
	if v, w := F8E5M2ToFloat32(0x80), F8E4M3ToFloat32(0x80); v != 0 || w != 0 || !math.Signbit(float64(v)) || !math.Signbit(float64(w)) {
		t.Errorf("0x80 = %g (E5M2), %g (E4M3), want -0", v, w)
	}
	if v := F8E4M3ToFloat32(0x7f); v == v {
		t.Error("E4M3 0x7f must be NaN")
	}
}
