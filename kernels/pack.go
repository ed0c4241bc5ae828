package kernels

// packB writes the k-block [p0, p0+kcb) of columns [j0, j0+nr) of op(B) into
// dst as dst[p*nr+j] = op(B)[p0+p][j0+j], zero-padding columns beyond n.
// op(B) is k×n; B is stored n×k when transB (PyTorch Linear weights). pbt,
// when not nil, is an assembly 8×8-block transposer for the transB case.
func packB(dst []float32, transB bool, b []float32, ldb, n, p0, kcb, j0 int, im *impl) {
	nr, pbt := im.nr, im.packBT8
	w := min(nr, n-j0)
	if !transB && w == nr && im.packBN != nil && kcb > 0 {
		// Bounds for the asm: the last row read ends at the panel's end.
		_ = b[(p0+kcb-1)*ldb+j0+nr-1]
		_ = dst[kcb*nr-1]
		im.packBN(&dst[0], &b[p0*ldb+j0], ldb, nr/8, kcb)
		return
	}
	if !transB {
		for p := 0; p < kcb; p++ {
			d := dst[p*nr : p*nr+nr]
			copy(d, b[(p0+p)*ldb+j0:(p0+p)*ldb+j0+w])
			clear(d[w:])
		}
		return
	}
	jv, pv := 0, 0 // rows [0, jv) × steps [0, pv) done by pbt
	if pbt != nil && kcb >= 8 {
		jv, pv = w&^7, kcb&^7
		for j := 0; j < jv; j += 8 {
			pbt(&dst[j], &b[(j0+j)*ldb+p0], ldb, nr, pv/8)
		}
	}
	packBT(dst, b, ldb, p0, pv, kcb, j0, 0, jv, nr)
	packBT(dst, b, ldb, p0, 0, kcb, j0, jv, w, nr)
	if w < nr {
		for p := 0; p < kcb; p++ {
			clear(dst[p*nr+w : p*nr+nr])
		}
	}
}

// packBT sets dst[p*nr+j] = B[j0+j][p0+p] for p in [pa, pb), j in [ja, jb).
func packBT(dst []float32, b []float32, ldb, p0, pa, pb, j0, ja, jb, nr int) {
	if pa >= pb {
		return
	}
	j := ja
	// Four rows of B at a time: four streams in, one 16-byte run out per p.
	for ; j+4 <= jb; j += 4 {
		s0 := b[(j0+j)*ldb+p0+pa : (j0+j)*ldb+p0+pb]
		s1 := b[(j0+j+1)*ldb+p0+pa : (j0+j+1)*ldb+p0+pb]
		s2 := b[(j0+j+2)*ldb+p0+pa : (j0+j+2)*ldb+p0+pb]
		s3 := b[(j0+j+3)*ldb+p0+pa : (j0+j+3)*ldb+p0+pb]
		for q := range s0 {
			p := pa + q
			d := dst[p*nr+j : p*nr+j+4 : p*nr+j+4]
			d[0], d[1], d[2], d[3] = s0[q], s1[q], s2[q], s3[q]
		}
	}
	for ; j < jb; j++ {
		src := b[(j0+j)*ldb+p0+pa : (j0+j)*ldb+p0+pb]
		for q, v := range src {
			dst[(pa+q)*nr+j] = v
		}
	}
}

// packABlock packs the row panels [ip0, ip1) of op(A) for K block
// [p0, p0+kcb) into dst, panel ip at (ip-ip0)·kcb·mr, as packA does for
// each. A transposed A (stored k×m) is packed k row by k row across all
// panels: each stored row is then read once, contiguously, instead of mr
// floats of it per panel (a fresh cache line each time for the backward's
// dW = dYᵀ·X, whose rows are thousands of floats apart).
func packABlock(dst []float32, transA bool, alpha float32, a []float32, lda, m, ip0, ip1, p0, kcb int, im *impl) {
	mr := im.mr
	if !transA || ip1-ip0 < 2 {
		for ip := ip0; ip < ip1; ip++ {
			packA(dst[(ip-ip0)*kcb*mr:(ip-ip0+1)*kcb*mr], transA, alpha, a, lda, m, ip*mr, p0, kcb, im)
		}
		return
	}
	r0, r1 := ip0*mr, min(ip1*mr, m)
	full := (r1 - r0) / mr // panels with mr valid rows
	// Four k rows at a time, panel by panel: each panel then receives
	// 4·mr contiguous floats, and the four source rows stay in L1 across
	// the panels. (k row by k row across all panels, the writes go to
	// panels kcb·mr floats apart, which share a few L1 sets and evict
	// each other.)
	for pb := 0; pb < kcb; pb += 4 {
		pe := min(pb+4, kcb)
		for q := 0; q < full; q++ {
			for p := pb; p < pe; p++ {
				o := (p0+p)*lda + r0 + q*mr
				s := a[o : o+mr]
				d := dst[q*kcb*mr+p*mr : q*kcb*mr+p*mr+mr]
				if alpha == 1 && mr == 6 { // the backward's dW = dYᵀ·X
					s, d := s[:6:6], d[:6:6]
					d[0], d[1], d[2], d[3], d[4], d[5] = s[0], s[1], s[2], s[3], s[4], s[5]
					continue
				}
				for i, v := range s {
					d[i] = alpha * v
				}
			}
		}
	}
	// The last panel may be partial (rows beyond m are zero): packA.
	for ip := ip0 + full; ip < ip1; ip++ {
		packA(dst[(ip-ip0)*kcb*mr:(ip-ip0+1)*kcb*mr], transA, alpha, a, lda, m, ip*mr, p0, kcb, im)
	}
}

// packA writes alpha·op(A)[r0:r0+mr, p0:p0+kcb] into dst as
// dst[p*mr+i] = alpha·op(A)[r0+i][p0+p], zero-padding rows beyond m.
// op(A) is m×k; A is stored k×m when transA.
// im supplies the tile height (im.mr) and optional assembly packers.
func packA(dst []float32, transA bool, alpha float32, a []float32, lda, m, r0, p0, kcb int, im *impl) {
	mr, pa6 := im.mr, im.packA6
	h := min(mr, m-r0)
	if transA {
		for p := 0; p < kcb; p++ {
			d := dst[p*mr : p*mr+mr]
			src := a[(p0+p)*lda+r0 : (p0+p)*lda+r0+h]
			for i, v := range src {
				d[i] = alpha * v
			}
			clear(d[h:])
		}
		return
	}
	if h == mr && mr == 6 {
		pv := 0
		if pa6 != nil && kcb > 8 {
			// The asm's 8-float stores spill 2 floats into group 8·kb, so
			// leave at least that group to packA6, which rewrites it.
			kb := (kcb - 1) / 8
			pa6(&dst[0], &a[r0*lda+p0], lda, kb, alpha)
			pv = 8 * kb
		}
		packA6(dst, alpha, a, lda, r0, p0, pv, kcb)
		return
	}
	ia, pv := 0, 0 // rows [0, ia) × steps [0, pv) done by the transposer
	if h == mr && mr == 8 && im.packBT8 != nil && kcb >= 8 {
		// An 8-row panel is exactly packB's 8×8 transpose with nr = 8.
		ia, pv = 8, kcb&^7
		im.packBT8(&dst[0], &a[r0*lda+p0], lda, 8, pv/8)
		if alpha != 1 {
			im.scale(alpha, dst[:8*pv])
		}
	}
	for i := 0; i < ia; i++ {
		src := a[(r0+i)*lda+p0+pv : (r0+i)*lda+p0+kcb]
		for q, v := range src {
			dst[(pv+q)*mr+i] = alpha * v
		}
	}
	for i := ia; i < h; i++ {
		src := a[(r0+i)*lda+p0 : (r0+i)*lda+p0+kcb]
		for p, v := range src {
			dst[p*mr+i] = alpha * v
		}
	}
	for i := h; i < mr; i++ {
		for p := 0; p < kcb; p++ {
			dst[p*mr+i] = 0
		}
	}
}

// packA6 is packA's common case: six full rows of a non-transposed A, for
// steps [pa, pb) of the k block starting at p0. It reads six rows in step and
// writes one 6-float group per k; the re-slicing lets the compiler drop the
// bounds checks in the loop.
func packA6(dst []float32, alpha float32, a []float32, lda, r0, p0, pa, pb int) {
	kcb := pb - pa
	p0 += pa
	s0 := a[r0*lda+p0 : r0*lda+p0+kcb]
	s1 := a[(r0+1)*lda+p0 : (r0+1)*lda+p0+kcb]
	s2 := a[(r0+2)*lda+p0 : (r0+2)*lda+p0+kcb]
	s3 := a[(r0+3)*lda+p0 : (r0+3)*lda+p0+kcb]
	s4 := a[(r0+4)*lda+p0 : (r0+4)*lda+p0+kcb]
	s5 := a[(r0+5)*lda+p0 : (r0+5)*lda+p0+kcb]
	dst = dst[6*pa : 6*pb]
	if alpha == 1 {
		for p := range kcb {
			d := dst[p*6 : p*6+6 : p*6+6]
			d[0], d[1], d[2], d[3], d[4], d[5] = s0[p], s1[p], s2[p], s3[p], s4[p], s5[p]
		}
		return
	}
	for p := range kcb {
		d := dst[p*6 : p*6+6 : p*6+6]
		d[0], d[1], d[2], d[3], d[4], d[5] = alpha*s0[p], alpha*s1[p], alpha*s2[p], alpha*s3[p], alpha*s4[p], alpha*s5[p]
	}
}
