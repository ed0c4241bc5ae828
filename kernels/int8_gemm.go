package kernels

import (
	"sync"
	"unsafe"
)

// Int8 GEMM for dynamic quantization (nn.QuantLinear): activations u8 with a
// per-row zero point, weights s8 symmetric, int32 accumulation.
//
//	C[i][j] = Σ_p A[i][p]·B[j][p]        A (m×k) u8, B (n×k) s8, C int32
//
// B is the weight matrix in PyTorch Linear layout [out, in], packed once by
// PackInt8 into panels of int8NR columns × k-groups of 4 (asm/int8/main.go
// describes the layout). The micro-kernels read A rows in place (row stride
// lda, a multiple of 4) and always compute a full mr×16 tile into a scratch
// tile, so A must hold roundup(m, mr) rows of roundup(k, 4) bytes: the
// exported entry points copy or quantize A into such a padded buffer. Padding
// bytes of B are zero, so whatever the padding bytes of A hold adds nothing.

// int8NR is the panel width (output columns per micro-tile).
const int8NR = 16

// int8MaxMR is the largest micro-tile height of any int8 impl.
const int8MaxMR = 12

// Int8ActMax is the largest quantized activation QuantizeRowsU8 produces.
// Activations use 7 bits, [0, 127], because AVX2's VPMADDUBSW adds two u8·s8
// products into a saturating int16: 2·127·128 = 32512 fits, 2·255·128 does
// not. fbgemm's reduce_range (PyTorch's x86 default) makes the same choice.
// Every impl sees the same quantized values, so int8 results do not depend
// on the CPU.
const Int8ActMax = 127

// int8Impl is one u8×s8 micro-kernel: micro computes the mr×16 tile
// tile[i*16+j] = Σ_{p<4·kg} a[i*lda+p]·B[j][p] from one packed panel b.
type int8Impl struct {
	name     string
	requires string
	mr       int
	micro    func(kg int, a *uint8, lda int, b *int8, c *int32)

	// Optional fast paths (nil: Go code). dequant fuses int8Op's epilogue
	// into the micro-kernel for full mr×16 tiles; minMax and quantize are
	// the bulk loops of quantizeRowU8 (n a multiple of 8 / 32), with the
	// same arithmetic as the Go loops.
	dequant func(kg int, a *uint8, lda int, b *int8, y *float32, ldy int,
		colSum *int32, wScale, bias *float32, rowZero *int32, rowScale *float32)
	minMax   func(x *float32, n int) (lo, hi float32)
	quantize func(dst *uint8, x *float32, n int, inv, zh float32)
}

var int8Generic = &int8Impl{name: "generic", mr: 6, micro: gemmU8S8MicroGeneric}

// curInt8 returns the int8 micro-kernels of the active impl (cpu.go's
// dispatch, so MEDBERT_KERNELS and Use apply), the generic ones when it has
// none.
func curInt8() *int8Impl {
	if im := cur().int8; im != nil {
		return im
	}
	return int8Generic
}

// Int8Impl names the int8 micro-kernel in use ("generic", "avx2", "vnni",
// "neon-sdot").
func Int8Impl() string { return curInt8().name }

// gemmU8S8MicroGeneric is the Go reference of the micro-kernels:
//
//	tile[i*16+j] = Σ_{g<kg} Σ_{q<4} a[i*lda + 4g+q] · b[64g + 4j + q],  i < 6, j < 16
func gemmU8S8MicroGeneric(kg int, a *uint8, lda int, b *int8, c *int32) {
	const mr = 6
	as := unsafe.Slice(a, (mr-1)*lda+4*kg)
	bs := unsafe.Slice(b, kg*4*int8NR)
	t := (*[mr * int8NR]int32)(unsafe.Pointer(c))
	var acc [mr * int8NR]int32
	for i := 0; i < mr; i++ {
		row := as[i*lda : i*lda+4*kg]
		out := acc[i*int8NR : (i+1)*int8NR]
		for g := 0; g < kg; g++ {
			a0, a1, a2, a3 := int32(row[4*g]), int32(row[4*g+1]), int32(row[4*g+2]), int32(row[4*g+3])
			bg := bs[g*4*int8NR : (g+1)*4*int8NR]
			for j := range out {
				w := bg[4*j : 4*j+4 : 4*j+4]
				out[j] += a0*int32(w[0]) + a1*int32(w[1]) + a2*int32(w[2]) + a3*int32(w[3])
			}
		}
	}
	*t = acc
}

// PackedInt8 is an s8 weight matrix B (n×k) packed for the int8 GEMM, with
// its column sums (for the activation zero-point correction).
type PackedInt8 struct {
	n, k, kg int
	data     []int8  // npan panels × kg groups × 64 bytes (+ one spare group)
	colSum   []int32 // Σ_p B[j][p]
}

// PackInt8 packs w (n×k, row-major: PyTorch Linear weight [out, in]).
func PackInt8(n, k int, w []int8) *PackedInt8 {
	if n < 0 || k < 0 {
		panic(errNegDim)
	}
	if len(w) < n*k {
		panic(errShortB)
	}
	kg := (k + 3) / 4
	npan := (n + int8NR - 1) / int8NR
	// One spare group so &data[panel start] is valid even when k == 0.
	p := &PackedInt8{n: n, k: k, kg: kg, data: make([]int8, (npan*kg+1)*4*int8NR), colSum: make([]int32, n)}
	for j := 0; j < n; j++ {
		row := w[j*k : (j+1)*k]
		var s int32
		base := (j/int8NR)*kg*4*int8NR + 4*(j%int8NR)
		for q, v := range row {
			p.data[base+(q/4)*4*int8NR+q%4] = v
			s += int32(v)
		}
		p.colSum[j] = s
	}
	return p
}

// N returns the number of output columns (rows of B).
func (p *PackedInt8) N() int { return p.n }

// K returns the inner dimension.
func (p *PackedInt8) K() int { return p.k }

// ColSums returns Σ_p B[j][p] for every column j (do not modify).
func (p *PackedInt8) ColSums() []int32 { return p.colSum }

// Bytes is the memory the packed weights occupy.
func (p *PackedInt8) Bytes() int { return len(p.data) + 4*len(p.colSum) }

// Unpack writes B back to dst (n×k, row-major), e.g. to save it.
func (p *PackedInt8) Unpack(dst []int8) {
	if len(dst) < p.n*p.k {
		panic(errShortC)
	}
	for j := 0; j < p.n; j++ {
		base := (j/int8NR)*p.kg*4*int8NR + 4*(j%int8NR)
		row := dst[j*p.k : (j+1)*p.k]
		for q := range row {
			row[q] = p.data[base+(q/4)*4*int8NR+q%4]
		}
	}
}

// int8Op is one int8 GEMM: the parTask of the worker pool. Task t covers a
// block of mb rows and a chunk of nb panels. The output is either int32
// (c32) or, with the dequantising epilogue, float32:
//
//	y[i][j] = float32(C[i][j] − zero[i]·colSum[j]) · rowScale[i]·wScale[j] + bias[j]
type int8Op struct {
	im      *int8Impl
	m       int
	a       []uint8 // roundup(m, int8MaxMR) rows of lda bytes
	lda     int
	pb      *PackedInt8
	c32     []int32
	ldc     int
	y       []float32
	ldy     int
	rowSc   []float32
	rowZero []int32
	wScale  []float32
	bias    []float32
	post    linearEpi // applied to each task block after its dequantisation (post.on)
	fim     *impl     // the float kernels post uses

	mb, nb, mBlocks, nChunks int
}

// Blocking: a task owns int8MB rows (a multiple of every mr) and int8NB
// panels. A panel (16 × k bytes, 12 KiB at k=768) stays in L1 while the
// task's rows stream from L2; the rows (72 KiB at k=768) are brought into
// L2 once per task and then serve all its panels, and the task's output
// block (96 × 512 floats) is still in L2 for the GELU/residual epilogue.
// 4 panels per task were 7% slower on a BERT-base int8 forward than 16 to
// 256, which measured alike.
const (
	int8MB = 96
	int8NB = 32
)

func (op *int8Op) split(nt int) {
	npan := (op.pb.n + int8NR - 1) / int8NR
	op.mb, op.nb = int8MB, int8NB
	op.mBlocks = (op.m + op.mb - 1) / op.mb
	op.nChunks = (npan + op.nb - 1) / op.nb
	// Few rows (batch 1, short sequences): give every thread work by
	// narrowing the panel chunks.
	for op.mBlocks*op.nChunks < 4*nt && op.nb > 1 {
		op.nb /= 2
		op.nChunks = (npan + op.nb - 1) / op.nb
	}
}

func (op *int8Op) task(_ *workspace, t int) {
	var tile [int8MaxMR * int8NR]int32
	mr, kg := op.im.mr, op.pb.kg
	r0 := (t / op.nChunks) * op.mb
	r1 := min(op.m, r0+op.mb)
	npan := (op.pb.n + int8NR - 1) / int8NR
	p0 := (t % op.nChunks) * op.nb
	p1 := min(npan, p0+op.nb)
	for p := p0; p < p1; p++ {
		b := &op.pb.data[p*kg*4*int8NR]
		j0 := p * int8NR
		cols := min(int8NR, op.pb.n-j0)
		for i0 := r0; i0 < r1; i0 += mr {
			rows := min(mr, r1-i0)
			if op.y != nil && op.im.dequant != nil && rows == mr && cols == int8NR {
				op.im.dequant(kg, &op.a[i0*op.lda], op.lda, b, &op.y[i0*op.ldy+j0], op.ldy,
					&op.pb.colSum[j0], &op.wScale[j0], &op.bias[j0], &op.rowZero[i0], &op.rowSc[i0])
				continue
			}
			op.im.micro(kg, &op.a[i0*op.lda], op.lda, b, &tile[0])
			if op.y == nil {
				for i := 0; i < rows; i++ {
					copy(op.c32[(i0+i)*op.ldc+j0:(i0+i)*op.ldc+j0+cols], tile[i*int8NR:i*int8NR+cols])
				}
				continue
			}
			op.epilogue(&tile, i0, rows, j0, cols)
		}
	}
	if op.post.on && r0 < r1 && p0 < p1 {
		// Once per task block (at most int8MB rows × int8NB panels, still in
		// cache), not per register tile: rows of 16 floats cost a call each.
		j0 := p0 * int8NR
		op.post.apply(op.fim, op.y, op.ldy, r0, r1-r0, j0, min(p1*int8NR, op.pb.n)-j0)
	}
}

// epilogue dequantises a tile and adds the bias (see int8Op).
func (op *int8Op) epilogue(tile *[int8MaxMR * int8NR]int32, i0, rows, j0, cols int) {
	cs := op.pb.colSum[j0 : j0+cols]
	ws := op.wScale[j0 : j0+cols]
	var bias []float32
	if op.bias != nil {
		bias = op.bias[j0 : j0+cols]
	}
	for i := 0; i < rows; i++ {
		z, s := op.rowZero[i0+i], op.rowSc[i0+i]
		acc := tile[i*int8NR : i*int8NR+cols]
		out := op.y[(i0+i)*op.ldy+j0 : (i0+i)*op.ldy+j0+cols]
		for j := range out {
			// The outer float32() forbids fusing with the bias add into an FMA
			// (Go may fuse on arm64 or GOAMD64=v3): the asm epilogue rounds twice.
			v := float32(float32(acc[j]-z*cs[j]) * (s * ws[j]))
			if bias != nil {
				v += bias[j]
			}
			out[j] = v
		}
	}
}

// run executes op on the worker pool.
func (op *int8Op) run() {
	nt := threads()
	if op.m*op.pb.n*op.pb.k < parallelMin {
		nt = 1
	}
	op.split(nt)
	parallelFor(nt, op.mBlocks*op.nChunks, op)
}

// int8Scratch holds a padded, quantized copy of A and its row parameters.
type int8Scratch struct {
	a     []uint8
	scale []float32
	zero  []int32
}

var int8ScratchPool = sync.Pool{New: func() any { return new(int8Scratch) }}

func (s *int8Scratch) size(m, lda int) {
	rows := (m + int8MaxMR - 1) / int8MaxMR * int8MaxMR
	if cap(s.a) < rows*lda {
		s.a = make([]uint8, rows*lda)
	}
	s.a = s.a[:rows*lda]
	if cap(s.scale) < m {
		s.scale, s.zero = make([]float32, m), make([]int32, m)
	}
	s.scale, s.zero = s.scale[:m], s.zero[:m]
}

// GemmU8S8 computes C = A·Bᵀ in int32: c[i*ldc+j] = Σ_p a[i*lda+p]·B[j][p]
// for A (m×k, u8, row stride lda) and B packed by PackInt8. The AVX2 kernel
// is exact only for a ≤ Int8ActMax (see Int8ActMax); the others for any u8.
func GemmU8S8(m int, a []uint8, lda int, pb *PackedInt8, c []int32, ldc int) {
	gemmU8S8With(curInt8(), m, a, lda, pb, c, ldc)
}

func gemmU8S8With(im *int8Impl, m int, a []uint8, lda int, pb *PackedInt8, c []int32, ldc int) {
	k, n := pb.k, pb.n
	if m < 0 {
		panic(errNegDim)
	}
	if lda < max(k, 1) || ldc < max(n, 1) {
		panic(errBadLd)
	}
	if m > 0 && len(a) < (m-1)*lda+k {
		panic(errShortA)
	}
	if m > 0 && len(c) < (m-1)*ldc+n {
		panic(errShortC)
	}
	if m == 0 || n == 0 {
		return
	}
	s := int8ScratchPool.Get().(*int8Scratch)
	lp := 4 * max(pb.kg, 1) // rows of at least 4 bytes keep &a[i*lp] valid when k == 0
	s.size(m, lp)
	clear(s.a)
	for i := 0; i < m; i++ {
		copy(s.a[i*lp:i*lp+k], a[i*lda:i*lda+k])
	}
	op := &int8Op{im: im, m: m, a: s.a, lda: lp, pb: pb, c32: c, ldc: ldc}
	op.run()
	int8ScratchPool.Put(s)
}
