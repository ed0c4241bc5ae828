package pickle

import (
	"errors"
	"io"
)

// errTruncated is returned (wrapped) when the input ends inside an
// instruction or before STOP.
var errTruncated = errors.New("pickle truncated")

// reader is a buffered cursor over the byte range [pos, end) of an
// io.ReaderAt. Knowing end lets every length prefix be checked against the
// bytes actually present before a buffer of that length is allocated.
type reader struct {
	r   io.ReaderAt
	pos int64 // absolute position of the next byte to return
	end int64
	buf []byte // buffered bytes starting at bp
	bp  int64  // absolute position of buf[0]
}

const readChunk = 32 << 10

func (r *reader) remaining() int64 { return r.end - r.pos }

// fill makes sure at least n bytes starting at r.pos are buffered (n must
// not exceed remaining()).
func (r *reader) fill(n int) error {
	if int64(n) > r.remaining() {
		return errTruncated
	}
	off := r.pos - r.bp
	if off >= 0 && off+int64(n) <= int64(len(r.buf)) {
		return nil
	}
	want := max(n, readChunk)
	if int64(want) > r.remaining() {
		want = int(r.remaining())
	}
	if cap(r.buf) < want {
		r.buf = make([]byte, want)
	}
	r.buf = r.buf[:want]
	got, err := r.r.ReadAt(r.buf, r.pos)
	if got < n {
		if err == nil || err == io.EOF {
			err = errTruncated
		}
		return err
	}
	r.buf = r.buf[:got]
	r.bp = r.pos
	return nil
}

// next consumes and returns the next n bytes. Short reads come from the
// shared buffer and are only valid until the next read; callers copy what
// they keep.
func (r *reader) next(n int) ([]byte, error) {
	if n < 0 {
		return nil, errTruncated
	}
	if n > readChunk {
		// Large payloads (long strings) are read straight into their own
		// buffer; the length was already checked against remaining().
		if int64(n) > r.remaining() {
			return nil, errTruncated
		}
		b := make([]byte, n)
		got, err := r.r.ReadAt(b, r.pos)
		if got < n {
			if err == nil || err == io.EOF {
				err = errTruncated
			}
			return nil, err
		}
		r.pos += int64(n)
		return b, nil
	}
	if err := r.fill(n); err != nil {
		return nil, err
	}
	off := r.pos - r.bp
	r.pos += int64(n)
	return r.buf[off : off+int64(n)], nil
}

func (r *reader) byte() (byte, error) {
	b, err := r.next(1)
	if err != nil {
		return 0, err
	}
	return b[0], nil
}

// line reads up to and excluding the next '\n' (protocol 0 arguments),
// refusing lines longer than maxLine.
func (r *reader) line(maxLine int) (string, error) {
	var out []byte
	for {
		c, err := r.byte()
		if err != nil {
			return "", err
		}
		if c == '\n' {
			return string(out), nil
		}
		if len(out) >= maxLine {
			return "", errors.New("text argument too long")
		}
		out = append(out, c)
	}
}
