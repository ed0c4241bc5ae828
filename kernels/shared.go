package kernels

import "sync"

// Linear layers that read the same input — a transformer's query, key and
// value projections — run as one job here: x is packed (float32) or
// quantized (int8) once for all of them instead of once per layer, and the
// tiles of every layer share one parallel loop, so one barrier ends the
// three GEMMs instead of three. Each layer keeps its own packed weight and
// output; the arithmetic per element is that of Linear / LinearInt8, so
// the results are bit-identical to calling those one layer at a time.

// sharedJob is the compute phase of the float32 layers. With byRows, task
// t is M block t of every layer: each K block of it is packed once into
// the task's workspace and multiplied by every layer's B. Otherwise (small
// M, x packed once for all tasks) task t is task t-starts[i] of layer i,
// starts[i] <= t < starts[i+1].
type sharedJob struct {
	ops     []gemmOp
	starts  []int
	byRows  bool
	mBlocks int
}

func (s *sharedJob) task(ws *workspace, t int) {
	if s.byRows {
		g0 := &s.ops[0]
		ip0, ip1 := t*g0.mpan/s.mBlocks, (t+1)*g0.mpan/s.mBlocks
		if ip0 >= ip1 {
			return
		}
		mr := g0.im.mr
		ap := grow(&ws.a, (ip1-ip0)*mr*min(g0.kc, g0.k))
		for p0 := 0; p0 < g0.k; p0 += g0.kc {
			kcb := min(g0.kc, g0.k-p0)
			packABlock(ap, false, 1, g0.a, g0.lda, g0.m, ip0, ip1, p0, kcb, g0.im)
			for i := range s.ops {
				s.ops[i].computeBlock(ws, ap, p0, kcb, ip0, ip1, 0, s.ops[i].npan)
			}
		}
		return
	}
	i := 0
	for t >= s.starts[i+1] {
		i++
	}
	s.ops[i].task(ws, t-s.starts[i])
}

var sharedJobPool = sync.Pool{New: func() any { return new(sharedJob) }}

// LinearShared computes ys[i] = x·Wᵢᵀ + biases[i] for every packed weight
// ws[i] (all with the same K), x m×K and ys[i] m×Nᵢ contiguous; a bias may
// be nil. It is bit-identical to Linear(m, x, ws[i], biases[i],
// NoActivation, nil, ys[i]) for each i.
func LinearShared(m int, x []float32, ws []*PackedB, biases, ys [][]float32) {
	if len(biases) != len(ws) || len(ys) != len(ws) {
		panic(errShortSlice)
	}
	im := cur()
	unfused := m == 0 || len(ws) < 2
	for i, w := range ws {
		if w.k != ws[0].k {
			panic(errPackedShape)
		}
		if len(x) < m*w.k || len(ys[i]) < m*w.n || (biases[i] != nil && len(biases[i]) < w.n) {
			panic(errShortSlice)
		}
		if w.im != im || w.k == 0 || w.n == 0 {
			unfused = true
		}
	}
	if unfused {
		for i, w := range ws {
			Linear(m, x, w, biases[i], NoActivation, nil, ys[i])
		}
		return
	}
	k := ws[0].k
	s := sharedJobPool.Get().(*sharedJob)
	if cap(s.ops) < len(ws) {
		s.ops = make([]gemmOp, len(ws))
	}
	s.ops = s.ops[:len(ws)] // each is reset by init
	defer func() {
		clear(s.ops) // drop the references to the caller's slices
		s.ops, s.byRows = s.ops[:0], false
		sharedJobPool.Put(s)
	}()
	s.starts = append(s.starts[:0], 0)
	nt, work := threads(), 0
	for i, w := range ws {
		work += m * w.n * k
		g := &s.ops[i]
		g.init(im, false, true, m, w.n, k, 1, x, k, nil, 0, 0, ys[i], w.n)
		g.bp = w.data
		g.epi = linearEpi{on: true, bias: biases[i], ldr: w.n}
	}
	if work < parallelMin {
		nt = 1
	}
	// Enough M blocks for every thread: each task packs its rows of x once
	// and runs them through all the layers (kept in L2 meanwhile).
	g0 := &s.ops[0]
	mcPan := max(1, im.mc/im.mr)
	if mb := (g0.mpan + mcPan - 1) / mcPan; mb >= nt {
		s.byRows = true
		s.mBlocks = min((mb+nt-1)/nt*nt, g0.mpan)
		parallelFor(nt, s.mBlocks, s)
		return
	}
	shareSplit(s.ops, nt)
	for i := range s.ops {
		s.starts = append(s.starts, s.starts[i]+s.ops[i].mBlocks*s.ops[i].nChunks)
	}
	// Pack x once, with the first layer's gemmOp, into the buffer all share.
	rawA := abufPool.Get().(*[]float32)
	g0.ap = grow(rawA, k*g0.mpan*im.mr)
	g0.packing, g0.packBn = true, 0
	parallelFor(nt, g0.nkb*g0.mpan, g0)
	g0.packing = false
	for i := range s.ops {
		s.ops[i].ap = g0.ap
	}
	parallelFor(nt, s.starts[len(s.ops)], s)
	abufPool.Put(rawA)
}

// shareSplit chooses every layer's tasks over a shared packed A: M blocks
// of about mc rows, each layer's N cut into chunks of about nc columns when
// the M blocks of all layers cannot feed nt threads, and the total task
// count a multiple of nt where the panels allow.
func shareSplit(ops []gemmOp, nt int) {
	total := 0
	for i := range ops {
		g := &ops[i]
		mcPan := max(1, g.im.mc/g.im.mr)
		g.shareA = true
		g.mBlocks = min((g.mpan+mcPan-1)/mcPan, g.mpan)
		g.nChunks = 1
		total += g.mBlocks
	}
	if total < 2*nt {
		total = 0
		for i := range ops {
			g := &ops[i]
			ncPan := max(1, g.im.nc/g.im.nr)
			g.nChunks = min((g.npan+ncPan-1)/ncPan, g.npan)
			total += g.mBlocks * g.nChunks
		}
	}
	for i := 0; total%nt != 0 && i < 4*len(ops); i++ {
		g := &ops[i%len(ops)]
		if g.nChunks < g.npan {
			total -= g.mBlocks * g.nChunks
			g.nChunks++
			total += g.mBlocks * g.nChunks
		}
	}
}

// int8SharedJob is int8 layers' compute phase over one quantized x.
type int8SharedJob struct {
	ops    []int8Op
	starts []int
}

func (s *int8SharedJob) task(ws *workspace, t int) {
	i := 0
	for t >= s.starts[i+1] {
		i++
	}
	s.ops[i].task(ws, t-s.starts[i])
}

var int8SharedJobPool = sync.Pool{New: func() any { return new(int8SharedJob) }}

// LinearInt8Shared computes ys[i] = LinearInt8 of x with ws[i], scales[i]
// and biases[i] for every layer (all with the same K), x m×K and ys[i]
// m×Nᵢ contiguous, quantizing x once for all of them. It is bit-identical
// to LinearInt8(m, x, K, ws[i], scales[i], biases[i], ys[i], Nᵢ) for each i.
func LinearInt8Shared(m int, x []float32, ws []*PackedInt8, scales, biases, ys [][]float32) {
	if len(scales) != len(ws) || len(biases) != len(ws) || len(ys) != len(ws) {
		panic(errShortSlice)
	}
	unfused := m == 0 || len(ws) < 2
	for i, w := range ws {
		if w.k != ws[0].k {
			panic(errPackedShape)
		}
		if len(x) < m*w.k || len(ys[i]) < m*w.n || len(scales[i]) < w.n || (biases[i] != nil && len(biases[i]) < w.n) {
			panic(errShortSlice)
		}
		if w.k == 0 || w.n == 0 {
			unfused = true
		}
	}
	if unfused {
		for i, w := range ws {
			LinearInt8(m, x, max(w.k, 1), w, scales[i], biases[i], ys[i], max(w.n, 1))
		}
		return
	}
	k := ws[0].k
	sc := int8ScratchPool.Get().(*int8Scratch)
	lp := 4 * max(ws[0].kg, 1)
	sc.size(m, lp)
	QuantizeRowsU8(sc.a, lp, sc.scale, sc.zero, x, k, m, k)
	s := int8SharedJobPool.Get().(*int8SharedJob)
	if cap(s.ops) < len(ws) {
		s.ops = make([]int8Op, len(ws))
	}
	s.ops = s.ops[:len(ws)]
	s.starts = append(s.starts[:0], 0)
	nt, work := threads(), 0
	for _, w := range ws {
		work += m * w.n * k
	}
	if work < parallelMin {
		nt = 1
	}
	for i, w := range ws {
		bias := biases[i]
		if bias == nil {
			bias = make([]float32, w.n) // the fused epilogue always adds one
		}
		s.ops[i] = int8Op{im: curInt8(), m: m, a: sc.a, lda: lp, pb: w,
			y: ys[i], ldy: w.n, rowSc: sc.scale, rowZero: sc.zero, wScale: scales[i], bias: bias, fim: cur()}
		// Split as if alone, but count the whole job's threads' worth of
		// tasks across the layers.
		s.ops[i].split(max(1, nt/len(ws)))
		s.starts = append(s.starts, s.starts[i]+s.ops[i].mBlocks*s.ops[i].nChunks)
	}
	parallelFor(nt, s.starts[len(ws)], s)
	clear(s.ops)
	s.ops = s.ops[:0]
	int8SharedJobPool.Put(s)
	int8ScratchPool.Put(sc)
}
