package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// forEachImpl runs f once per implementation available on this machine, with
// that implementation active. MEDBERT_REQUIRE (e.g. "avx2,avx512") turns a
// missing implementation into a failure for CI.
func forEachImpl(t *testing.T, f func(t *testing.T, im *impl)) {
	t.Helper()
	for _, name := range requiredImpls() {
		if lookupImpl(name) == nil {
			t.Errorf("MEDBERT_REQUIRE lists %q but this machine/build has only %v", name, Available())
		}
	}
	for _, name := range knownImpls {
		if lookupImpl(name) == nil {
			t.Run(name, func(t *testing.T) {
				t.Skipf("impl %s is not available on this CPU/build (available: %v); CI runs it where it is (MEDBERT_REQUIRE)", name, Available())
			})
		}
	}
	for _, im := range impls {
		t.Run(im.name, func(t *testing.T) {
			restore, err := Use(im.name)
			if err != nil {
				t.Fatal(err)
			}
			defer restore()
			f(t, im)
		})
	}
}

const guardLen = 16

// guardNaN is a NaN with a recognisable payload, so a kernel that writes a
// "real" NaN into a guard is caught too.
var guardNaN = math.Float32frombits(0x7fc0beef)

// guarded returns a slice of length n flanked by guardLen guard values on
// each side, plus the whole backing array for checkGuards.
func guarded(n int) (s, all []float32) {
	all = make([]float32, n+2*guardLen)
	for i := range all {
		all[i] = guardNaN
	}
	return all[guardLen : guardLen+n], all
}

func checkGuards(t *testing.T, all []float32, n int) {
	t.Helper()
	for i := 0; i < guardLen; i++ {
		if math.Float32bits(all[i]) != math.Float32bits(guardNaN) || math.Float32bits(all[guardLen+n+i]) != math.Float32bits(guardNaN) {
			t.Fatalf("guard region overwritten (index %d)", i)
		}
	}
}

func randSlice(r *rand.Rand, n int, scale float32) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = (r.Float32()*2 - 1) * scale
	}
	return s
}

func sameBits(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

// vecSizes are the lengths every vector kernel is tested at: tiny, around
// the lane counts (4, 8, 16) and their unrolled multiples, and random ones.
func vecSizes(r *rand.Rand) []int {
	s := []int{0, 1, 2, 3}
	for _, l := range []int{4, 8, 16, 32, 64, 128} {
		s = append(s, l-1, l, l+1, 2*l-1, 2*l+1)
	}
	for range 40 {
		s = append(s, r.IntN(1000))
	}
	return s
}
