package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

func ulp32(v float64) float64 {
	f := float32(math.Abs(v))
	return float64(math.Nextafter32(f, float32(math.Inf(1))) - f)
}

// TestVectorOps checks Dot, Axpy, Add and Scale on every impl at every
// size, at several alignments, with guards around outputs.
func TestVectorOps(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *impl) {
		r := rand.New(rand.NewPCG(21, 22))
		// 1<<15 + 13 crosses the amd64 wrappers' per-asm-call chunk.
		for _, n := range append(vecSizes(r), 1<<15+13) {
			for off := 0; off < 4; off++ {
				x := randSlice(r, n+off, 1)[off:]
				y := randSlice(r, n+off, 1)[off:]
				x0, y0 := append([]float32(nil), x...), append([]float32(nil), y...)

				var want, bound float64
				for i := range x {
					want += float64(x[i]) * float64(y[i])
					bound += math.Abs(float64(x[i]) * float64(y[i]))
				}
				if got := Dot(x, y); math.Abs(float64(got)-want) > 2e-5*bound+1e-30 {
					t.Fatalf("Dot n=%d: %g want %g", n, got, want)
				}

				out, all := guarded(n)
				copy(out, y)
				Axpy(-1.5, x, out)
				checkGuards(t, all, n)
				for i := range out {
					w := float64(y[i]) - 1.5*float64(x[i])
					if math.Abs(float64(out[i])-w) > 2*ulp32(math.Abs(float64(y[i]))+math.Abs(1.5*float64(x[i]))) {
						t.Fatalf("Axpy n=%d i=%d: %g want %g", n, i, out[i], w)
					}
				}

				out, all = guarded(n)
				Add(out, x, y)
				checkGuards(t, all, n)
				for i := range out {
					if out[i] != x[i]+y[i] {
						t.Fatalf("Add n=%d i=%d: %g want %g", n, i, out[i], x[i]+y[i])
					}
				}

				out, all = guarded(n)
				copy(out, x)
				Scale(0.3, out)
				checkGuards(t, all, n)
				for i := range out {
					if out[i] != 0.3*x[i] {
						t.Fatalf("Scale n=%d i=%d: %g want %g", n, i, out[i], 0.3*x[i])
					}
				}
				if !sameBits(x, x0) || !sameBits(y, y0) {
					t.Fatalf("n=%d: inputs modified", n)
				}
			}
		}
	})
}

func refSoftmaxRow(x []float32, scale float32, mask []float32) []float64 {
	s := make([]float64, len(x))
	mx := math.Inf(-1)
	for j, v := range x {
		s[j] = float64(v * scale)
		if mask != nil {
			s[j] = float64(v*scale + mask[j])
		}
		mx = math.Max(mx, s[j])
	}
	if math.IsInf(mx, -1) {
		return make([]float64, len(x))
	}
	var sum float64
	for j := range s {
		s[j] = math.Exp(s[j] - mx)
		sum += s[j]
	}
	for j := range s {
		s[j] /= sum
	}
	return s
}

func TestSoftmaxRows(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *impl) {
		r := rand.New(rand.NewPCG(23, 24))
		for _, cols := range vecSizes(r) {
			rows := 1 + r.IntN(4)
			if cols == 0 {
				continue
			}
			x := randSlice(r, rows*cols, 8)
			var mask []float32
			if cols%2 == 1 {
				mask = randSlice(r, cols, 2)
				mask[r.IntN(cols)] = -math.MaxFloat32 // HF's masked position
				if cols > 2 {
					mask[r.IntN(cols)] = float32(math.Inf(-1))
				}
			}
			x0 := append([]float32(nil), x...)
			dst, all := guarded(rows * cols)
			SoftmaxRows(dst, x, rows, cols, 0.7, mask)
			checkGuards(t, all, rows*cols)
			if !sameBits(x, x0) {
				t.Fatal("input modified")
			}
			for i := 0; i < rows; i++ {
				want := refSoftmaxRow(x[i*cols:(i+1)*cols], 0.7, mask)
				for j, w := range want {
					got := float64(dst[i*cols+j])
					if math.Abs(got-w) > 4e-6*w+1e-12 {
						t.Fatalf("cols=%d row %d col %d: %g want %g", cols, i, j, got, w)
					}
				}
			}
			// In place (dst aliases x) gives the same bits.
			in := append([]float32(nil), x...)
			SoftmaxRows(in, in, rows, cols, 0.7, mask)
			if !sameBits(in, dst) {
				t.Fatalf("cols=%d: in-place result differs", cols)
			}
		}
	})
}

func TestSoftmaxSpecial(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *impl) {
		for _, cols := range []int{2, 9, 17} {
			x := make([]float32, cols)
			x[0] = 1234
			y := make([]float32, cols)
			SoftmaxRows(y, x, 1, cols, 1, nil)
			if y[0] != 1 || y[1] != 0 {
				t.Fatalf("softmax([1234, 0...]) = %v", y)
			}
			mask := make([]float32, cols)
			for j := range mask {
				mask[j] = float32(math.Inf(-1))
			}
			for j := range y {
				y[j] = 5
			}
			SoftmaxRows(y, x, 1, cols, 1, mask)
			for j, v := range y {
				if v != 0 {
					t.Fatalf("fully masked row: y[%d] = %g, want 0", j, v)
				}
			}
		}
		SoftmaxRows(nil, nil, 0, 5, 1, nil) // no-op
	})
}

func TestSoftmaxRowsBackward(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *impl) {
		r := rand.New(rand.NewPCG(25, 26))
		for _, cols := range vecSizes(r) {
			rows := 1 + r.IntN(3)
			y := randSlice(r, rows*cols, 1)
			dy := randSlice(r, rows*cols, 1)
			dx, all := guarded(rows * cols)
			init := randSlice(r, rows*cols, 1)
			copy(dx, init)
			SoftmaxRowsBackward(dx, y, dy, rows, cols, 0.5)
			checkGuards(t, all, rows*cols)
			for i := 0; i < rows; i++ {
				var dot, bd float64
				for j := 0; j < cols; j++ {
					dot += float64(y[i*cols+j]) * float64(dy[i*cols+j])
					bd += math.Abs(float64(y[i*cols+j]) * float64(dy[i*cols+j]))
				}
				for j := 0; j < cols; j++ {
					k := i*cols + j
					w := float64(init[k]) + 0.5*float64(y[k])*(float64(dy[k])-dot)
					tol := 2e-6*(math.Abs(float64(init[k]))+math.Abs(float64(y[k]))*(1+bd)) + 1e-30
					if math.Abs(float64(dx[k])-w) > tol {
						t.Fatalf("cols=%d [%d,%d]: %g want %g", cols, i, j, dx[k], w)
					}
				}
			}
		}
	})
}
