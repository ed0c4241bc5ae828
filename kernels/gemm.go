package kernels

import "sync"

// BLIS-style SGEMM (Goto & van de Geijn, "Anatomy of high-performance matrix
// multiplication"):
//
//	for each K block p0 (kc deep):
//	    pack B[p0:p0+kc, :] into nr-wide row panels (bp, shared by all threads)
//	    for each M block (rows of A, packed into mr-wide column panels, with alpha):
//	        for each B panel jp:          (panel stays in L1/L2 across the ir loop)
//	            for each A panel ip:      micro-kernel → one mr×nr tile of C
//
// All transposes are absorbed by the packing routines, so one micro-kernel per
// ISA serves every case. A partial last row panel runs the impl's row-count
// kernel (microRows) straight into C where it has one; other edge tiles run
// the full micro-kernel into a scratch tile and merge the valid part. The first K block applies beta (overwrite
// when beta == 0, so NaNs in C never propagate); later blocks accumulate.
//
// Parallelism: B packing is split over panels, then the M blocks are shared
// by the fixed worker pool (pool.go). When M has fewer blocks than there are
// threads (batch 1: M = 128 rows), A is packed once into a buffer all threads
// read and the work is also cut along N, into chunks of about nc columns,
// the task count a multiple of the thread count so no core idles at the end.
// All buffers are reused: no allocation per call.

// smallGemm: problems with m*n*k at most this run the reference loop
// directly, where packing costs more than it saves. Tests set it to 0 to push
// tiny shapes through the blocked path.
var smallGemm = 512

// parallelMin is the m*n*k below which a GEMM stays on the calling goroutine
// (waking a worker costs microseconds; 128×128×64 takes ~25 µs at 90 GFLOP/s).
const parallelMin = 1 << 21

// gemmOp is one GEMM call's state; it is the parTask of both phases.
type gemmOp struct {
	im             *impl
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	a, b, c        []float32
	lda, ldb, ldc  int

	bp      []float32 // packed B: K block at p0 starts at p0*npan*nr; panel jp at +jp*kcb*nr
	ap      []float32 // shared packed A (small M), laid out as bp; nil: each task packs its own
	kc      int
	npan    int // ceil(n/nr)
	nkb     int // number of K blocks
	mpan    int // ceil(m/mr)
	mBlocks int
	nChunks int
	shareA  bool      // split chose a shared packed A (small M)
	epi     linearEpi // Linear's fused epilogue (epi.on), after the last K block
	packing bool      // phase: true packs panels, false computes tiles
	packBn  int       // packing tasks [0, packBn) pack B panels, the rest A panels
}

var (
	gemmOpPool = sync.Pool{New: func() any { return new(gemmOp) }}
	bbufPool   = sync.Pool{New: func() any { return new([]float32) }}
	abufPool   = sync.Pool{New: func() any { return new([]float32) }}
)

// Sgemm computes C = alpha·op(A)·op(B) + beta·C in row-major BLAS semantics,
// where op(X) is X or Xᵀ. op(A) is m×k, op(B) is k×n, C is m×n.
// A is stored m×k (lda >= k) when !transA, k×m (lda >= m) when transA;
// B is stored k×n (ldb >= n) when !transB, n×k (ldb >= k) when transB.
// When beta == 0, C is overwritten without being read (NaNs in C vanish).
// Large problems run on up to SetMaxThreads/GOMAXPROCS goroutines.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkGemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		scaleC(beta, c, m, n, ldc)
		return
	}
	if m*n*k <= smallGemm {
		sgemmGeneric(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	g := gemmOpPool.Get().(*gemmOp)
	g.init(cur(), transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	nt := threads()
	if m*n*k < parallelMin {
		nt = 1
	}
	raw := bbufPool.Get().(*[]float32)
	g.bp = grow(raw, k*g.npan*g.im.nr)
	g.split(nt)
	g.run(nt, g.nkb*g.npan)
	*g = gemmOp{}
	bbufPool.Put(raw)
	gemmOpPool.Put(g)
}

// run packs the first packBn B panels (and all of A when split chose a
// shared A) in one parallel phase, then computes every tile.
func (g *gemmOp) run(nt, packBn int) {
	g.packBn = packBn
	n := packBn
	var rawA *[]float32
	if g.shareA {
		rawA = abufPool.Get().(*[]float32)
		g.ap = grow(rawA, g.k*g.mpan*g.im.mr)
		n += g.nkb * g.mpan
	}
	if n > 0 {
		g.packing = true
		parallelFor(nt, n, g)
		g.packing = false
	}
	parallelFor(nt, g.mBlocks*g.nChunks, g)
	if rawA != nil {
		g.ap = nil
		abufPool.Put(rawA)
	}
}

func (g *gemmOp) init(im *impl, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	*g = gemmOp{im: im, transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, beta: beta,
		a: a, b: b, c: c, lda: lda, ldb: ldb, ldc: ldc, kc: kcFor(im, k)}
	g.npan = (n + im.nr - 1) / im.nr
	g.mpan = (m + im.mr - 1) / im.mr
	g.nkb = (k + g.kc - 1) / g.kc
}

// split chooses the compute tasks for nt threads: M blocks of about mc rows,
// a multiple of nt of them. When M alone cannot feed nt threads (small M),
// A is packed once and shared, and N is cut into chunks of about nc columns,
// with mBlocks·nChunks a multiple of nt.
func (g *gemmOp) split(nt int) {
	mcPan := max(1, g.im.mc/g.im.mr)
	g.mBlocks = (g.mpan + mcPan - 1) / mcPan
	g.nChunks = 1
	g.shareA = false
	if nt > 1 {
		if g.mBlocks >= nt {
			g.mBlocks = (g.mBlocks + nt - 1) / nt * nt
		} else {
			g.shareA = true
			ncPan := max(1, g.im.nc/g.im.nr)
			g.nChunks = (g.npan + ncPan - 1) / ncPan
			for g.mBlocks*g.nChunks%nt != 0 {
				g.nChunks++
			}
		}
	}
	g.mBlocks = min(g.mBlocks, g.mpan)
	g.nChunks = min(g.nChunks, g.npan)
}

func (g *gemmOp) task(ws *workspace, t int) {
	if g.packing && t >= g.packBn {
		t -= g.packBn
		kb, ip := t/g.mpan, t%g.mpan
		p0 := kb * g.kc
		kcb := min(g.kc, g.k-p0)
		mr := g.im.mr
		off := p0*g.mpan*mr + ip*kcb*mr
		packA(g.ap[off:off+kcb*mr], g.transA, g.alpha, g.a, g.lda, g.m, ip*mr, p0, kcb, g.im)
		return
	}
	if g.packing {
		kb, jp := t/g.npan, t%g.npan
		p0 := kb * g.kc
		kcb := min(g.kc, g.k-p0)
		nr := g.im.nr
		off := p0*g.npan*nr + jp*kcb*nr
		packB(g.bp[off:off+kcb*nr], g.transB, g.b, g.ldb, g.n, p0, kcb, jp*nr, g.im)
		return
	}
	mb, ch := t/g.nChunks, t%g.nChunks
	g.compute(ws, mb*g.mpan/g.mBlocks, (mb+1)*g.mpan/g.mBlocks, ch*g.npan/g.nChunks, (ch+1)*g.npan/g.nChunks)
}

// runSerial runs the whole GEMM on the calling goroutine with ws's buffers.
func (g *gemmOp) runSerial(ws *workspace) {
	nr := g.im.nr
	g.bp = grow(&ws.b, g.k*g.npan*nr)
	for p0 := 0; p0 < g.k; p0 += g.kc {
		kcb := min(g.kc, g.k-p0)
		for jp := 0; jp < g.npan; jp++ {
			off := p0*g.npan*nr + jp*kcb*nr
			packB(g.bp[off:off+kcb*nr], g.transB, g.b, g.ldb, g.n, p0, kcb, jp*nr, g.im)
		}
	}
	g.runPacked(ws)
}

// runPacked computes every tile serially from an already packed B.
func (g *gemmOp) runPacked(ws *workspace) {
	mcPan := max(1, g.im.mc/g.im.mr)
	for ip := 0; ip < g.mpan; ip += mcPan {
		g.compute(ws, ip, min(ip+mcPan, g.mpan), 0, g.npan)
	}
}

// compute produces C rows of A panels [ip0, ip1) × B panels [jp0, jp1).
func (g *gemmOp) compute(ws *workspace, ip0, ip1, jp0, jp1 int) {
	if ip0 >= ip1 || jp0 >= jp1 {
		return
	}
	im := g.im
	mr := im.mr
	var own []float32
	if g.ap == nil {
		own = grow(&ws.a, (ip1-ip0)*mr*min(g.kc, g.k))
	}
	for p0 := 0; p0 < g.k; p0 += g.kc {
		kcb := min(g.kc, g.k-p0)
		ap := own
		if ap == nil {
			ap = g.ap[p0*g.mpan*mr+ip0*kcb*mr:]
		} else {
			packABlock(ap, g.transA, g.alpha, g.a, g.lda, g.m, ip0, ip1, p0, kcb, im)
		}
		g.computeBlock(ws, ap, p0, kcb, ip0, ip1, jp0, jp1)
	}
}

// computeBlock runs K block [p0, p0+kcb) of compute on A panels [ip0, ip1)
// already packed in ap (panel ip at (ip-ip0)·kcb·mr), and the epilogue
// after the last K block.
func (g *gemmOp) computeBlock(ws *workspace, ap []float32, p0, kcb, ip0, ip1, jp0, jp1 int) {
	im := g.im
	mr, nr := im.mr, im.nr
	tile := grow(&ws.tile, mr*nr)
	c, ldc, beta := g.c, g.ldc, g.beta
	ncPan := max(1, im.nc/nr) // epilogue block width, in panels
	first := p0 == 0
	fuse := g.epi.on && p0+kcb == g.k
	bblk := g.bp[p0*g.npan*nr:]
	for jp := jp0; jp < jp1; jp++ {
		if fuse && jp > jp0 && (jp-jp0)%ncPan == 0 {
			g.applyEpi(ip0, ip1, jp-ncPan, jp)
		}
		bpan := &bblk[jp*kcb*nr]
		j0 := jp * nr
		w := min(nr, g.n-j0)
		for ip := ip0; ip < ip1; ip++ {
			r0 := ip * mr
			h := min(mr, g.m-r0)
			apan := &ap[(ip-ip0)*kcb*mr]
			if w == nr && (h == mr || im.microRows != nil) {
				accum := 1
				if first {
					if beta == 0 {
						accum = 0
					} else if beta != 1 {
						scaleC(beta, c[r0*ldc+j0:], h, nr, ldc)
					}
				}
				if h == mr {
					im.micro(kcb, apan, bpan, &c[r0*ldc+j0], ldc, accum)
				} else {
					im.microRows[h](kcb, apan, bpan, &c[r0*ldc+j0], ldc, accum)
				}
			} else {
				im.micro(kcb, apan, bpan, &tile[0], nr, 0)
				mergeTile(c[r0*ldc+j0:], ldc, tile, nr, h, w, first, beta)
			}
		}
	}
	if fuse {
		g.applyEpi(ip0, ip1, jp1-1-(jp1-1-jp0)%ncPan, jp1)
	}
}

// applyEpi runs Linear's epilogue on the C block of A panels [ip0, ip1) ×
// B panels [jp0, jp1): at most mc×nc floats, just written by the last K
// block and still in L2, in rows of up to nc contiguous floats (per register
// tile, the calls and the strided residual reads cost more than a separate
// pass).
func (g *gemmOp) applyEpi(ip0, ip1, jp0, jp1 int) {
	mr, nr := g.im.mr, g.im.nr
	r0, r1 := ip0*mr, min(ip1*mr, g.m)
	j0, j1 := jp0*nr, min(jp1*nr, g.n)
	g.epi.apply(g.im, g.c, g.ldc, r0, r1-r0, j0, j1-j0)
}

// mergeTile adds the valid h×w part of an edge tile t (row stride nr) to C:
// C = t + beta·C on the first K block (C not read when beta == 0), C += t after.
func mergeTile(c []float32, ldc int, t []float32, nr, h, w int, first bool, beta float32) {
	for i := 0; i < h; i++ {
		cr := c[i*ldc : i*ldc+w]
		tr := t[i*nr : i*nr+w]
		switch {
		case first && beta == 0:
			copy(cr, tr)
		case first && beta != 1:
			for j, v := range tr {
				cr[j] = beta*cr[j] + v
			}
		default:
			for j, v := range tr {
				cr[j] += v
			}
		}
	}
}

// scaleC sets the m×n matrix C to beta·C (zero, without reading, when beta == 0).
func scaleC(beta float32, c []float32, m, n, ldc int) {
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		switch beta {
		case 0:
			clear(row)
		case 1:
		default:
			for j := range row {
				row[j] *= beta
			}
		}
	}
}
