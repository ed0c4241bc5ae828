package seal

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// Writer seals everything written to it into the underlying writer. Close
// must be called: it writes the last chunk, without which a reader reports
// the stream as truncated.
type Writer struct {
	w      io.Writer
	h      *header
	buf    []byte // pending plaintext, at most chunkSize bytes
	out    []byte // reusable ciphertext buffer
	aad    []byte
	nonce  [12]byte
	i      uint64
	err    error
	closed bool
}

// NewWriter returns a Writer that seals to w under key with
// DefaultChunkSize chunks, having written the header.
func NewWriter(w io.Writer, key Key) (*Writer, error) {
	return NewWriterSize(w, key, DefaultChunkSize)
}

// NewWriterSize is NewWriter with a chosen plaintext chunk size.
func NewWriterSize(w io.Writer, key Key, chunkSize int) (*Writer, error) {
	h, err := newHeader(key, chunkSize)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(h.raw[:]); err != nil {
		return nil, fmt.Errorf("seal: write header: %w", err)
	}
	return &Writer{
		w:   w,
		h:   h,
		buf: make([]byte, 0, chunkSize),
		out: make([]byte, 0, chunkSize+Overhead),
		aad: make([]byte, 0, HeaderSize+1),
	}, nil
}

// Write buffers p, sealing a chunk each time a full one is followed by
// more data (the last chunk is only known at Close).
func (w *Writer) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	if w.closed {
		return 0, errors.New("seal: write after Close")
	}
	n := 0
	for len(p) > 0 {
		if len(w.buf) == w.h.chunkSize {
			if err := w.flush(false); err != nil {
				return n, err
			}
		}
		k := copy(w.buf[len(w.buf):w.h.chunkSize], p)
		w.buf = w.buf[:len(w.buf)+k]
		p = p[k:]
		n += k
	}
	return n, nil
}

func (w *Writer) flush(last bool) error {
	w.aad = w.h.nonceAndAAD(&w.nonce, w.aad, w.i, last)
	w.out = w.h.aead.Seal(w.out[:0], w.nonce[:], w.buf, w.aad)
	if _, err := w.w.Write(w.out); err != nil {
		w.err = fmt.Errorf("seal: write chunk %d: %w", w.i, err)
		return w.err
	}
	w.i++
	w.buf = w.buf[:0]
	return nil
}

// Close seals the last chunk. It does not close the underlying writer.
func (w *Writer) Close() error {
	if w.err != nil || w.closed {
		return w.err
	}
	w.closed = true
	return w.flush(true)
}

// Reader opens a sealed stream. It returns plaintext only after the chunk
// holding it has authenticated, and reports an error (never io.EOF) for a
// stream that ends before its last chunk.
type Reader struct {
	r     *bufio.Reader
	h     *header
	ct    []byte
	pt    []byte // decrypted, not yet returned
	aad   []byte
	nonce [12]byte
	i     uint64
	done  bool
	err   error
}

// NewReader reads and checks the header of the sealed stream r.
func NewReader(r io.Reader, key Key) (*Reader, error) {
	var raw [HeaderSize]byte
	if n, err := io.ReadFull(r, raw[:]); err != nil {
		if m := min(n, len(magic)); string(raw[:m]) != magic[:m] {
			return nil, ErrNotSealed
		}
		return nil, fmt.Errorf("seal: header is %d bytes, want %d (file truncated?)", n, HeaderSize)
	}
	h, err := parseHeader(raw[:], key)
	if err != nil {
		return nil, err
	}
	return &Reader{
		r:   bufio.NewReaderSize(r, 64<<10),
		h:   h,
		ct:  make([]byte, h.chunkSize+Overhead),
		aad: make([]byte, 0, HeaderSize+1),
	}, nil
}

// ChunkSize is the plaintext chunk size recorded in the header.
func (r *Reader) ChunkSize() int { return r.h.chunkSize }

func (r *Reader) Read(p []byte) (int, error) {
	for len(r.pt) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		if r.done {
			return 0, io.EOF
		}
		r.err = r.next()
	}
	n := copy(p, r.pt)
	r.pt = r.pt[n:]
	return n, nil
}

// next reads and opens one chunk. A chunk is the last one when the stream
// ends right after it; the flag in its AAD must agree.
func (r *Reader) next() error {
	n, err := io.ReadFull(r.r, r.ct)
	last := false
	switch {
	case err == io.EOF:
		return fmt.Errorf("seal: stream truncated: chunk %d (and the last-chunk marker) missing", r.i)
	case err == io.ErrUnexpectedEOF:
		last = true
	case err != nil:
		return fmt.Errorf("seal: read chunk %d: %w", r.i, err)
	default:
		if _, perr := r.r.Peek(1); perr == io.EOF {
			last = true
		} else if perr != nil {
			return fmt.Errorf("seal: read chunk %d: %w", r.i+1, perr)
		}
	}
	if n < Overhead {
		return fmt.Errorf("seal: stream truncated inside chunk %d", r.i)
	}
	r.aad = r.h.nonceAndAAD(&r.nonce, r.aad, r.i, last)
	pt, oerr := r.h.aead.Open(r.ct[:0], r.nonce[:], r.ct[:n], r.aad)
	if oerr != nil {
		return fmt.Errorf("seal: chunk %d fails authentication (file corrupt, truncated, reordered or tampered)", r.i)
	}
	r.pt = pt
	r.i++
	r.done = last
	return nil
}
