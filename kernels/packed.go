package kernels

import "sync"

// PackedB is a GEMM right-hand operand packed once into the micro-kernel
// layout of the impl active when it was made. Linear layers compute X·Wᵀ
// with a fixed W, and packing B on every call costs about 10% of a BERT
// GEMM, so tensor/nn may keep a PackedB next to each weight and
// call SgemmPacked (not adopted yet; Sgemm remains the general entry point).
type PackedB struct {
	k, n int
	im   *impl
	data []float32 // layout of gemmOp.bp
	raw  []float32

	// The source, for the fallback when another impl is active (Use): it
	// must not change while the PackedB is in use. nil after PackWeights
	// (the fallback unpacks data instead).
	transB bool
	b      []float32
	ldb    int
}

// PackB packs op(B) (k×n; B stored n×k when transB, as PyTorch Linear
// weights [out, in] with transB = true) for repeated use with SgemmPacked.
func PackB(transB bool, k, n int, b []float32, ldb int) *PackedB {
	if n < 0 || k < 0 {
		panic(errNegDim)
	}
	checkOperand(transB, k, n, b, ldb, errShortB)
	im := cur()
	pb := &PackedB{k: k, n: n, im: im, transB: transB, b: b, ldb: ldb}
	var g gemmOp
	g.init(im, false, transB, 0, n, k, 1, nil, 0, b, ldb, 0, nil, 0)
	pb.data = grow(&pb.raw, k*g.npan*im.nr)
	g.bp = pb.data
	g.packing, g.packBn = true, g.nkb*g.npan
	nt := threads()
	if n*k < parallelMin/64 {
		nt = 1
	}
	parallelFor(nt, g.nkb*g.npan, &g)
	return pb
}

// K returns the inner dimension of the packed operand.
func (p *PackedB) K() int { return p.k }

// N returns the number of columns of op(B).
func (p *PackedB) N() int { return p.n }

// Bytes returns the memory the packed copy holds (its source, kept by PackB
// but not by PackWeights, is not counted).
func (p *PackedB) Bytes() int { return 4 * cap(p.raw) }

// SgemmPacked computes C = alpha·op(A)·op(B) + beta·C like Sgemm, with op(B)
// (k×n) taken from pb. C is m×n, op(A) m×k.
func SgemmPacked(transA bool, m int, alpha float32, a []float32, lda int, pb *PackedB, beta float32, c []float32, ldc int) {
	k, n := pb.k, pb.n
	if m < 0 {
		panic(errNegDim)
	}
	checkOperand(transA, m, k, a, lda, errShortA)
	checkOperand(false, m, n, c, ldc, errShortC)
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		scaleC(beta, c, m, n, ldc)
		return
	}
	im := cur()
	if im != pb.im || (m*n*k <= smallGemm && pb.b != nil) {
		transB, b, ldb := pb.source()
		Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	g := gemmOpPool.Get().(*gemmOp)
	g.init(im, transA, pb.transB, m, n, k, alpha, a, lda, nil, 0, beta, c, ldc)
	g.bp = pb.data
	nt := threads()
	if m*n*k < parallelMin {
		nt = 1
	}
	g.split(nt)
	g.run(nt, 0)
	*g = gemmOp{}
	gemmOpPool.Put(g)
}

// batchOp is the parTask of SgemmBatch: task t is GEMM number t.
type batchOp struct {
	im               *impl
	transA, transB   bool
	m, n, k          int
	alpha, beta      float32
	a, b, c          []float32
	lda, ldb, ldc    int
	aOff, bOff, cOff []int
}

var batchPool = sync.Pool{New: func() any { return new(batchOp) }}

// SgemmBatch computes, for every i < len(aOff),
//
//	C_i = alpha·op(A_i)·op(B_i) + beta·C_i,  A_i = a[aOff[i]:], B_i = b[bOff[i]:], C_i = c[cOff[i]:]
//
// with the shapes and leading dimensions of Sgemm shared by all. It reads
// strided sub-matrices in place, e.g. attention's per-head Q·Kᵀ on
// [batch·seq, hidden] with lda = hidden and offsets (b·seq)·hidden + h·headDim,
// and runs the GEMMs in parallel, one per worker at a time. The C_i must not
// overlap. aOff, bOff and cOff must have equal lengths.
func SgemmBatch(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, aOff []int,
	b []float32, ldb int, bOff []int, beta float32, c []float32, ldc int, cOff []int) {
	if len(bOff) != len(aOff) || len(cOff) != len(aOff) {
		panic(errLenMismatch)
	}
	for i := range aOff {
		if aOff[i] < 0 || bOff[i] < 0 || cOff[i] < 0 || aOff[i] > len(a) || bOff[i] > len(b) || cOff[i] > len(c) {
			panic(errShortSlice)
		}
		checkGemm(transA, transB, m, n, k, a[aOff[i]:], lda, b[bOff[i]:], ldb, c[cOff[i]:], ldc)
	}
	if m == 0 || n == 0 || len(aOff) == 0 {
		return
	}
	nt := threads()
	if m*n*k*len(aOff) < parallelMin {
		nt = 1
	}
	if nt > 1 && len(aOff) < nt {
		// Too few products to share out: parallelise inside each instead.
		for i := range aOff {
			Sgemm(transA, transB, m, n, k, alpha, a[aOff[i]:], lda, b[bOff[i]:], ldb, beta, c[cOff[i]:], ldc)
		}
		return
	}
	op := batchPool.Get().(*batchOp)
	*op = batchOp{im: cur(), transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, beta: beta,
		a: a, b: b, c: c, lda: lda, ldb: ldb, ldc: ldc, aOff: aOff, bOff: bOff, cOff: cOff}
	parallelFor(nt, len(aOff), op)
	*op = batchOp{}
	batchPool.Put(op)
}

func (op *batchOp) task(ws *workspace, i int) {
	a, b, c := op.a[op.aOff[i]:], op.b[op.bOff[i]:], op.c[op.cOff[i]:]
	m, n, k := op.m, op.n, op.k
	if k == 0 || op.alpha == 0 {
		scaleC(op.beta, c, m, n, op.ldc)
		return
	}
	if m*n*k <= smallGemm {
		sgemmGeneric(op.transA, op.transB, m, n, k, op.alpha, a, op.lda, b, op.ldb, op.beta, c, op.ldc)
		return
	}
	var g gemmOp
	g.init(op.im, op.transA, op.transB, m, n, k, op.alpha, a, op.lda, b, op.ldb, op.beta, c, op.ldc)
	g.runSerial(ws)
}
