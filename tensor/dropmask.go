package tensor

import (
	"math"
	"unsafe"
)

// dropMask is a dropout keep-mask stored as one bit per element (bit i%32
// of word i/32 is 1 where element i is kept), a 32nd of a float32 mask: a
// bert-base training step keeps one for every dropout it will
// backpropagate. The words live in a pooled float32 buffer (buf) so that
// FreeGraph hands them back with the graph's other saved buffers.
type dropMask struct {
	buf   []float32 // the storage, registered with save
	words []uint32  // buf's memory read as words
}

// newDropMask returns an uninitialised mask for n elements; dropInto
// writes every word.
func newDropMask(n int) dropMask {
	buf := newBufDirty((n + 31) / 32)
	// A float32 and a uint32 have the same size and alignment, and the
	// buffer holds no pointers, so viewing its memory as words is sound.
	words := unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(buf))), len(buf))
	return dropMask{buf: buf, words: words}
}

// tensor wraps the mask's storage for node.save.
func (m dropMask) tensor() *Tensor { return &Tensor{Data: m.buf} }

// scaleInto writes dst[i] = src[i]·scale where element i is kept and 0
// where it is dropped: the same products dropInto wrote, so a saved mask
// regenerates dropout's output exactly.
func (m dropMask) scaleInto(dst, src []float32, scale float32) {
	for w, bits := range m.words {
		lo := w * 32
		hi := min(lo+32, len(src))
		for i := lo; i < hi; i++ {
			// All ones where kept, else zero: a dropped element becomes
			// +0 without a branch the random mask would mispredict.
			keep := -(bits & 1)
			dst[i] = math.Float32frombits(math.Float32bits(src[i]*scale) & keep)
			bits >>= 1
		}
	}
}

// accumulate adds dy[i]·mask[i] to dx[i], with mask[i] = scale where kept
// and 0 where dropped (dropout's backward; the product with 0 is kept so
// that signed zeros and NaNs from infinite dy come out as with a float32
// mask).
func (m dropMask) accumulate(dx, dy []float32, scale float32) {
	factor := [2]float32{0, scale}
	for w, bits := range m.words {
		lo := w * 32
		hi := min(lo+32, len(dy))
		for i := lo; i < hi; i++ {
			dx[i] += dy[i] * factor[bits&1]
			bits >>= 1
		}
	}
}
