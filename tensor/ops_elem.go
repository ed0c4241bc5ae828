package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/medbert/medbert/kernels"
)

// Add returns a + b for tensors of the same shape. Backward: da += dy, db += dy.
func Add(a, b *Tensor) *Tensor {
	sameShape("Add", a, b)
	y := empty(a.Shape...)
	kernels.Add(y.Data, a.Data, b.Data)
	if tracking(a, b) {
		y.record(func(dy []float32) {
			if a.requiresGrad {
				kernels.Axpy(1, dy, a.grad())
			}
			if b.requiresGrad {
				kernels.Axpy(1, dy, b.grad())
			}
		}, a, b)
	}
	return y
}

// AddBias returns x + b with b broadcast over x's leading dimensions: b's
// shape must equal the trailing dimensions of x (a bias (D) over (..., D), or
// position embeddings (S, D) over (B, S, D)). x is viewed as (rows, b.Size()).
//
// Backward: dx += dy, db += Σ_rows dy.
func AddBias(x, b *Tensor) *Tensor {
	nb := b.Size()
	if b.Dims() > x.Dims() || !slices.Equal(x.Shape[x.Dims()-b.Dims():], b.Shape) || nb == 0 {
		panic(fmt.Sprintf("tensor: AddBias: %v does not broadcast over %v", b.Shape, x.Shape))
	}
	rows := x.Size() / nb
	y := empty(x.Shape...)
	for r := 0; r < rows; r++ {
		kernels.Add(y.Data[r*nb:(r+1)*nb], x.Data[r*nb:(r+1)*nb], b.Data)
	}
	if tracking(x, b) {
		y.record(func(dy []float32) {
			if x.requiresGrad {
				kernels.Axpy(1, dy, x.grad())
			}
			if b.requiresGrad {
				db := b.grad()
				for r := 0; r < rows; r++ {
					kernels.Axpy(1, dy[r*nb:(r+1)*nb], db)
				}
			}
		}, x, b)
	}
	return y
}

// Mul returns the elementwise product a ∘ b (same shape).
// Backward: da += dy∘b, db += dy∘a.
func Mul(a, b *Tensor) *Tensor {
	sameShape("Mul", a, b)
	y := empty(a.Shape...)
	for i, v := range a.Data {
		y.Data[i] = v * b.Data[i]
	}
	if tracking(a, b) {
		y.record(func(dy []float32) {
			if a.requiresGrad {
				da := a.grad()
				for i, g := range dy {
					da[i] += g * b.Data[i]
				}
			}
			if b.requiresGrad {
				db := b.grad()
				for i, g := range dy {
					db[i] += g * a.Data[i]
				}
			}
		}, a, b)
	}
	return y
}

// Scale returns s·a. Backward: da += s·dy.
func Scale(a *Tensor, s float32) *Tensor {
	y := Zeros(a.Shape...)
	kernels.Axpy(s, a.Data, y.Data)
	if tracking(a) {
		y.record(func(dy []float32) { kernels.Axpy(s, dy, a.grad()) }, a)
	}
	return y
}

// Tanh returns tanh(a) elementwise (the BERT pooler activation).
// Backward: da += dy·(1 - y²), using the saved output y.
func Tanh(a *Tensor) *Tensor {
	y := Zeros(a.Shape...)
	for i, v := range a.Data {
		y.Data[i] = float32(math.Tanh(float64(v)))
	}
	if tracking(a) {
		y.record(func(dy []float32) {
			da := a.grad()
			for i, g := range dy {
				t := y.Data[i]
				da[i] += g * (1 - t*t)
			}
		}, a)
	}
	return y
}

// GELU returns the exact erf GELU 0.5·x·(1+erf(x/√2)) elementwise (HF "gelu").
// Backward: da += dy·gelu'(x), using the saved input.
func GELU(a *Tensor) *Tensor {
	y := empty(a.Shape...)
	kernels.GELU(y.Data, a.Data)
	if tracking(a) {
		y.record(func(dy []float32) { kernels.GELUBackward(a.grad(), a.Data, dy) }, a)
	}
	return y
}

// Sum returns the 0-dim sum of all elements (accumulated in float64).
// Backward: da += dy.
func Sum(a *Tensor) *Tensor {
	var s float64
	for _, v := range a.Data {
		s += float64(v)
	}
	y := Scalar(float32(s))
	if tracking(a) {
		y.record(func(dy []float32) {
			da := a.grad()
			for i := range da {
				da[i] += dy[0]
			}
		}, a)
	}
	return y
}

// Mean returns the 0-dim mean of all elements. Backward: da += dy/n.
func Mean(a *Tensor) *Tensor {
	n := float32(max(a.Size(), 1))
	return Scale(Sum(a), 1/n)
}

// Dropout zeroes each element of x with probability p and scales survivors by
// 1/(1-p) (inverted dropout, as torch), drawing from rng so a seed reproduces
// the mask. p == 0 returns x itself; p >= 1 returns zeros. Whether dropout is
// active (training vs eval) is the caller's decision (nn.Dropout).
// Backward: dx += dy∘mask/(1-p).
func Dropout(x *Tensor, p float32, rng *rand.Rand) *Tensor {
	if p <= 0 {
		return x
	}
	var scale float32
	if p < 1 {
		scale = 1 / (1 - p)
	}
	y := empty(x.Shape...)
	if !tracking(x) {
		dropInto(y.Data, x.Data, nil, p, scale, rng)
		return y
	}
	// The mask is stored as bits: a kept zero input is indistinguishable
	// from a dropped one in y, so the backward cannot read it off y.
	mask := newDropMask(len(x.Data))
	dropInto(y.Data, x.Data, mask.words, p, scale, rng)
	y.record(func(dy []float32) { mask.accumulate(x.grad(), dy, scale) }, x)
	y.save(mask.tensor())
	return y
}

// ReLU returns max(x, 0) elementwise (HF hidden_act "relu").
// Backward: da += dy where x > 0.
func ReLU(a *Tensor) *Tensor {
	y := Zeros(a.Shape...)
	for i, v := range a.Data {
		y.Data[i] = max(v, 0)
	}
	if tracking(a) {
		y.record(func(dy []float32) {
			da := a.grad()
			for i, g := range dy {
				if a.Data[i] > 0 {
					da[i] += g
				}
			}
		}, a)
	}
	return y
}

// GELUTanh returns the tanh approximation of GELU (HF "gelu_new",
// "gelu_pytorch_tanh"): 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), evaluated
// in float64 and rounded. Backward: da += dy·d/dx of the same formula.
func GELUTanh(a *Tensor) *Tensor {
	const c, k = 0.7978845608028654, 0.044715 // √(2/π)
	y := Zeros(a.Shape...)
	for i, v := range a.Data {
		x := float64(v)
		y.Data[i] = float32(0.5 * x * (1 + math.Tanh(c*(x+k*x*x*x))))
	}
	if tracking(a) {
		y.record(func(dy []float32) {
			da := a.grad()
			for i, g := range dy {
				x := float64(a.Data[i])
				t := math.Tanh(c * (x + k*x*x*x))
				d := 0.5*(1+t) + 0.5*x*(1-t*t)*c*(1+3*k*x*x)
				da[i] += g * float32(d)
			}
		}, a)
	}
	return y
}

// dropInto writes dst[i] = src[i]·scale for kept elements and 0 for dropped
// ones, and, when mask is non-nil, the keep bits of a dropMask (bit i%32 of
// mask[i/32] set where element i is kept; every word is written). Element i is dropped
// when 32 random bits (two elements per Uint64 call, which halves the
// generator cost on large activations) fall below p·2³², so p >= 1 drops all.
// Up to dropBlock elements draw straight from rng. Larger tensors (BERT's
// activations and attention probabilities) take one seed from rng and give
// block b of dropBlock elements its own PCG stream (seed, b), so blocks can
// run in parallel and the mask depends only on rng's state and the size,
// never on the number of threads.
func dropInto(dst, src []float32, mask []uint32, p, scale float32, rng *rand.Rand) {
	thr := uint64(min(float64(p), 1) * (1 << 32))
	n := len(src)
	if n <= dropBlock {
		dropRange(dst, src, mask, thr, scale, rng.Uint64)
		return
	}
	seed := rng.Uint64()
	blocks := (n + dropBlock - 1) / dropBlock
	parallelBlocks(blocks, func(b int) {
		lo, hi := b*dropBlock, min((b+1)*dropBlock, n)
		var pcg rand.PCG
		pcg.Seed(seed, uint64(b))
		var m []uint32
		if mask != nil {
			m = mask[lo/32 : (hi+31)/32]
		}
		dropRange(dst[lo:hi], src[lo:hi], m, thr, scale, pcg.Uint64)
	})
}

// dropBlock is the element count of one independent dropout stream (a
// multiple of 2, as each Uint64 covers two elements, and of 32, so that each
// block owns whole mask words).
const dropBlock = 1 << 15

// dropRange is dropInto's loop over one stream of random bits; mask (nil
// or the range's words) gets bit i%32 of word i/32 set where src[i] is kept.
// Branch-free: at p = 0.1 a branch on the random keep bit mispredicted
// about one element in ten, and dropout ran at half the speed.
func dropRange(dst, src []float32, mask []uint32, thr uint64, scale float32, next func() uint64) {
	n := len(src)
	dst = dst[:n]
	for lo := 0; lo < n; lo += 32 {
		hi := min(lo+32, n)
		var word uint32
		for i := lo; i < hi; i += 2 {
			bits := next()
			word |= dropOne(dst, src, i, bits&0xffffffff, thr, scale)
			if i+1 < hi {
				word |= dropOne(dst, src, i+1, bits>>32, thr, scale)
			}
		}
		if mask != nil {
			mask[lo>>5] = word
		}
	}
}

// dropOne sets dst[i] to src[i]·scale when the 32 random bits r reach thr,
// else to +0, and returns the keep bit at position i%32.
func dropOne(dst, src []float32, i int, r, thr uint64, scale float32) uint32 {
	keep := uint32(1 ^ (r-thr)>>63) // r, thr < 2³²+1: r−thr wraps below thr
	dst[i] = math.Float32frombits(math.Float32bits(src[i]*scale) & -keep)
	return keep << (i & 31)
}
