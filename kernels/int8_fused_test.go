package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestLinearInt8Fused checks LinearInt8Fused on every impl bit for bit
// against LinearInt8 followed by the separate GELU and Add kernels, and
// within float tolerance against plain loops of its formula (the dequantised
// integer product, the generic GELU, the residual). y starts as NaN and is
// flanked by NaN guards.
func TestLinearInt8Fused(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	shapes := [][3]int{{0, 3, 4}, {1, 1, 1}, {2, 0, 5}, {3, 17, 31}, {7, 5, 0}, {13, 40, 64}, {25, 33, 130}}
	for si, s := range shapes {
		m, n, k := s[0], s[1], s[2]
		x := randSlice(r, m*k, 2)
		w := make([]int8, n*k)
		int8Fill(r, 0, nil, 0, w)
		ws, bias, res := randSlice(r, n, 0.01), randSlice(r, n, 1), randSlice(r, m*n, 1)
		pw := PackInt8(n, k, w)
		for _, act := range []Activation{NoActivation, GELUActivation} {
			for _, withRes := range []bool{false, true} {
				rs := res
				if !withRes {
					rs = nil
				}
				bs := bias
				if si%2 == 1 {
					bs = nil
				}
				forEachImpl(t, func(t *testing.T, _ *impl) {
					name := fmt.Sprintf("%s m=%d n=%d k=%d act=%d res=%v", Int8Impl(), m, n, k, act, withRes)
					y, all := guarded(m * n)
					for i := range y {
						y[i] = float32(math.NaN())
					}
					LinearInt8Fused(m, x, pw, ws, bs, act, rs, y)
					checkGuards(t, all, m*n)
					want := make([]float32, max(m*n, m)) // n = 0 still needs m-1 rows of stride 1
					xr := x
					if k == 0 { // LinearInt8 reads m-1 rows of stride 1
						xr = make([]float32, m)
					}
					LinearInt8(m, xr, max(k, 1), pw, ws, bs, want, max(n, 1))
					want = want[:m*n]
					if act == GELUActivation {
						GELU(want, want)
					}
					if rs != nil {
						Add(want, want, rs)
					}
					if !sameBits(y, want) {
						t.Fatalf("%s: differs from LinearInt8 + separate kernels", name)
					}
					// Plain loops of the formula.
					q := make([]uint8, m*k)
					sc, z := make([]float32, m), make([]int32, m)
					if k > 0 {
						QuantizeRowsU8(q, k, sc, z, x, k, m, k)
					}
					acc := naiveU8S8(m, n, k, q, k, w)
					for i := 0; i < m; i++ {
						for j := 0; j < n; j++ {
							v := float32(float32(acc[i*n+j]-z[i]*pw.ColSums()[j]) * (sc[i] * ws[j]))
							if bs != nil {
								v += bs[j]
							}
							if act == GELUActivation {
								g := []float32{v}
								geluGeneric(g, g)
								v = g[0]
							}
							if rs != nil {
								v += rs[i*n+j]
							}
							if d := math.Abs(float64(y[i*n+j] - v)); !(d <= 1e-6+1e-6*math.Abs(float64(v))) {
								t.Fatalf("%s: y[%d,%d] = %v, formula %v", name, i, j, y[i*n+j], v)
							}
						}
					}
				})
			}
		}
	}
}

func TestLinearInt8FusedMisuse(t *testing.T) {
	pw := PackInt8(3, 2, make([]int8, 6))
	ws, y := make([]float32, 3), make([]float32, 6)
	for name, f := range map[string]func(){
		"short x":       func() { LinearInt8Fused(2, make([]float32, 3), pw, ws, nil, NoActivation, nil, y) },
		"short y":       func() { LinearInt8Fused(2, make([]float32, 4), pw, ws, nil, NoActivation, nil, y[:5]) },
		"short wScale":  func() { LinearInt8Fused(2, make([]float32, 4), pw, ws[:2], nil, NoActivation, nil, y) },
		"bad act":       func() { LinearInt8Fused(2, make([]float32, 4), pw, ws, nil, 9, nil, y) },
		"residual is y": func() { LinearInt8Fused(2, make([]float32, 4), pw, ws, nil, NoActivation, y, y) },
		"negative m":    func() { LinearInt8Fused(-1, nil, pw, ws, nil, NoActivation, nil, y) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

func ExampleLinearInt8Fused() {
	// W [out=2, in=4] quantized per output channel: W ≈ wScale[j]·q[j].
	q := []int8{
		127, 0, -127, 64,
		10, 20, 30, 40,
	}
	w := PackInt8(2, 4, q)
	wScale := []float32{0.01, 0.02}
	bias := []float32{0.5, -1}
	x := []float32{1, 2, 3, 4} // one row, quantized on the fly
	y := make([]float32, 2)
	LinearInt8Fused(1, x, w, wScale, bias, GELUActivation, nil, y)
	// In float: GELU(0.01·(127−381+256) + 0.5) = GELU(0.52) = 0.36 and
	// GELU(0.02·300 − 1) = GELU(5) = 5.00. x is quantized to 7 bits (step
	// 4/127), and the first row's products nearly cancel, so its error shows.
	fmt.Printf("%.2f %.2f\n", y[0], y[1])
	// Output: 0.38 5.00
}
