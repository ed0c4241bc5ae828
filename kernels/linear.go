package kernels

import "unsafe"

// Fused Linear layer for inference: the GEMM y = x·Wᵀ with W packed once
// (PackWeights), and the epilogue bias → activation → residual applied to
// each cache block of y (at most mc×nc, gemm.go's applyEpi) right after the
// last K block's micro-kernels wrote it, while it is still in L2, so y goes
// to memory once instead of once per separate kernel. The epilogue uses the impl's add and GELU arithmetic, so
// Linear is bit-identical to Sgemm followed by Add (bias, per row), GELU and
// Add (residual).

// Activation is the elementwise function Linear applies after the bias.
type Activation uint8

const (
	// NoActivation leaves x·Wᵀ + bias as it is.
	NoActivation Activation = iota
	// GELUActivation applies the exact erf GELU of the GELU kernel.
	GELUActivation
)

const (
	errBadAct      = "kernels: unknown activation"
	errResidualY   = "kernels: residual overlaps y"
	errPackedShape = "kernels: packed operand has the wrong shape"
)

// linearEpi is Linear's epilogue, stored in gemmOp (fused when on).
type linearEpi struct {
	on   bool
	bias []float32 // length n, or nil
	res  []float32 // m×n, row stride ldr, or nil
	ldr  int
	act  Activation
}

// apply runs the epilogue on rows [r0, r0+h) × columns [j0, j0+w) of c.
func (e *linearEpi) apply(im *impl, c []float32, ldc, r0, h, j0, w int) {
	for i := r0; i < r0+h; i++ {
		row := c[i*ldc+j0 : i*ldc+j0+w]
		if e.bias != nil {
			im.addTile(row, row, e.bias[j0:j0+w])
		}
		if e.act == GELUActivation {
			im.geluTile(row, row)
		}
		if e.res != nil {
			im.addTile(row, row, e.res[i*e.ldr+j0:i*e.ldr+j0+w])
		}
	}
}

// PackWeights packs a Linear layer's weight w (n×k row-major: PyTorch's
// [out, in]) for Linear and SgemmPacked, and keeps no reference to w: the
// packed copy is the only one an inference model needs to keep resident.
// It is packed for the impl active now; should another impl be active at
// call time (Use, tests), the calls unpack it first, correct but slower.
func PackWeights(n, k int, w []float32) *PackedB {
	if n < 0 || k < 0 {
		panic(errNegDim)
	}
	if len(w) < n*k {
		panic(errShortB)
	}
	pb := PackB(true, k, n, w, max(k, 1))
	pb.b, pb.ldb, pb.transB = nil, 0, false
	return pb
}

// source returns op(B) as a matrix: the packer's source when kept, else an
// unpacked k×n copy (B not transposed).
func (p *PackedB) source() (transB bool, b []float32, ldb int) {
	if p.b != nil {
		return p.transB, p.b, p.ldb
	}
	k, n, nr := p.k, p.n, p.im.nr
	out := make([]float32, max(k*n, 1))
	npan := (n + nr - 1) / nr
	kc := kcFor(p.im, k)
	for p0 := 0; p0 < k; p0 += kc {
		kcb := min(kc, k-p0)
		for jp := 0; jp < npan; jp++ {
			panel := p.data[p0*npan*nr+jp*kcb*nr:]
			w := min(nr, n-jp*nr)
			for q := 0; q < kcb; q++ {
				copy(out[(p0+q)*n+jp*nr:(p0+q)*n+jp*nr+w], panel[q*nr:q*nr+w])
			}
		}
	}
	return false, out, max(n, 1)
}

// Linear computes, for x (m×K) and the packed weight w (op(B) = Wᵀ, K×N),
//
//	y[i,j] = act(Σ_p x[i,p]·W[j,p] + bias[j]) + residual[i,j]
//
// with x, residual and y contiguous (row strides K, N, N). bias (length N)
// and residual (m×N) may be nil; residual must not overlap y. y is
// overwritten without being read. The result is bit-identical to
// SgemmPacked (or Sgemm) followed by Add of bias to each row, GELU (when
// act is GELUActivation) and Add of residual. Large calls run on up to
// SetMaxThreads goroutines, like Sgemm.
func Linear(m int, x []float32, w *PackedB, bias []float32, act Activation, residual []float32, y []float32) {
	k, n := w.k, w.n
	if m < 0 {
		panic(errNegDim)
	}
	if len(x) < m*k || len(y) < m*n || (bias != nil && len(bias) < n) || (residual != nil && len(residual) < m*n) {
		panic(errShortSlice)
	}
	if act > GELUActivation {
		panic(errBadAct)
	}
	if m == 0 || n == 0 {
		return
	}
	if residual != nil && overlaps(residual[:m*n], y[:m*n]) {
		panic(errResidualY)
	}
	epi := linearEpi{on: true, bias: bias, res: residual, ldr: n, act: act}
	im := cur()
	if im != w.im || k == 0 {
		// Packed for another impl, or nothing to multiply: the GEMM, then
		// the epilogue over all of y (the same arithmetic, unfused).
		SgemmPacked(false, m, 1, x, max(k, 1), w, 0, y, n)
		for r0 := 0; r0 < m; r0 += 64 {
			epi.apply(im, y, n, r0, min(64, m-r0), 0, n)
		}
		return
	}
	g := gemmOpPool.Get().(*gemmOp)
	g.init(im, false, true, m, n, k, 1, x, k, nil, 0, 0, y, n)
	g.bp = w.data
	g.epi = epi
	nt := threads()
	if m*n*k < parallelMin {
		nt = 1
	}
	g.split(nt)
	g.run(nt, 0)
	*g = gemmOp{}
	gemmOpPool.Put(g)
}

// overlaps reports whether two non-empty slices share memory.
func overlaps(a, b []float32) bool {
	a0, b0 := uintptr(unsafe.Pointer(&a[0])), uintptr(unsafe.Pointer(&b[0]))
	return a0 < b0+uintptr(len(b))*4 && b0 < a0+uintptr(len(a))*4
}

// linearGeneric is the reference of Linear, in plain loops on an unpacked
// W (n×k, row stride k):
//
//	y[i,j] = act(Σ_p x[i,p]·W[j,p] + bias[j]) + residual[i,j]
//
// with the sum accumulated in float32 in p order and act the generic GELU.
func linearGeneric(m, n, k int, x, w, bias []float32, act Activation, residual, y []float32) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float32
			for p := 0; p < k; p++ {
				s += x[i*k+p] * w[j*k+p]
			}
			if bias != nil {
				s += bias[j]
			}
			if act == GELUActivation {
				v := [1]float32{s}
				geluGeneric(v[:], v[:])
				s = v[0]
			}
			if residual != nil {
				s += residual[i*n+j]
			}
			y[i*n+j] = s
		}
	}
}

// Unpack writes the weight a PackWeights (or PackB with transB) operand
// was made from, W (n×k row-major), into w: for a backward through a
// layer whose float32 weight only lives packed.
func (p *PackedB) Unpack(w []float32) {
	k, n := p.k, p.n
	if len(w) < n*k {
		panic(errShortSlice)
	}
	transB, b, ldb := p.source()
	for j := 0; j < n; j++ {
		for q := 0; q < k; q++ {
			if transB {
				w[j*k+q] = b[j*ldb+q]
			} else {
				w[j*k+q] = b[q*ldb+j]
			}
		}
	}
}
