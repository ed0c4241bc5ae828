package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// TestLinearShared: the layers run as one job give bit for bit what Linear
// and LinearInt8 give one layer at a time — odd and BERT-like shapes, a
// nil bias, empty M, 1 and 3 threads, every impl.
func TestLinearShared(t *testing.T) {
	prevProcs := runtime.GOMAXPROCS(4)
	defer runtime.GOMAXPROCS(prevProcs)
	shapes := []struct {
		m, k int
		ns   []int
	}{
		{0, 8, []int{16, 5}}, {1, 1, []int{3, 1}}, {7, 33, []int{16, 48, 20}}, {37, 64, []int{70, 70, 70}},
		{128, 200, []int{96, 96, 96}}, {300, 100, []int{130, 17}}, {1100, 64, []int{32, 16, 21}},
	}
	for _, threads := range []int{1, 3} {
		prevMax := SetMaxThreads(threads)
		forEachImpl(t, func(t *testing.T, im *impl) {
			r := rand.New(rand.NewPCG(41, uint64(threads)))
			for _, s := range shapes {
				name := fmt.Sprintf("%s/threads=%d/m=%d/k=%d/n=%v", im.name, threads, s.m, s.k, s.ns)
				x := randSlice(r, s.m*s.k, 1)
				var ws []*PackedB
				var qs []*PackedInt8
				var biases, scales, got, want, got8, want8 [][]float32
				for i, n := range s.ns {
					w := randSlice(r, n*s.k, 1)
					ws = append(ws, PackWeights(n, s.k, w))
					q := make([]int8, n*s.k)
					int8Fill(r, 0, nil, 0, q)
					qs = append(qs, PackInt8(n, s.k, q))
					var b []float32
					if i != 1 {
						b = randSlice(r, n, 1)
					}
					biases = append(biases, b)
					scales = append(scales, randSlice(r, n, 0.01))
					for _, out := range []*[][]float32{&got, &want, &got8, &want8} {
						y := make([]float32, s.m*n)
						for j := range y {
							y[j] = float32(math.NaN()) // every element must be written
						}
						*out = append(*out, y)
					}
				}
				LinearShared(s.m, x, ws, biases, got)
				LinearInt8Shared(s.m, x, qs, scales, biases, got8)
				for i, n := range s.ns {
					Linear(s.m, x, ws[i], biases[i], NoActivation, nil, want[i])
					LinearInt8(s.m, x, max(s.k, 1), qs[i], scales[i], biases[i], want8[i], max(n, 1))
				}
				for i := range s.ns {
					for j := range want[i] {
						if math.Float32bits(got[i][j]) != math.Float32bits(want[i][j]) {
							t.Fatalf("%s: float32 layer %d [%d] = %g, Linear gives %g", name, i, j, got[i][j], want[i][j])
						}
						if math.Float32bits(got8[i][j]) != math.Float32bits(want8[i][j]) {
							t.Fatalf("%s: int8 layer %d [%d] = %g, LinearInt8 gives %g", name, i, j, got8[i][j], want8[i][j])
						}
					}
				}
			}
		})
		SetMaxThreads(prevMax)
	}
}
