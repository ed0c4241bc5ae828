package data

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// bufReader returns r as a *bufio.Reader (openData already makes one).
func bufReader(r io.Reader) *bufio.Reader {
	if br, ok := r.(*bufio.Reader); ok {
		return br
	}
	return bufio.NewReaderSize(r, 1<<16)
}

// lineReader reads lines of at most limit bytes. A longer line is
// reported (tooLong) with its bytes discarded as they are read, so a 50 MB
// line costs no more memory than the limit.
type lineReader struct {
	br    *bufio.Reader
	limit int
	line  int // 1-based number of the line last returned
	buf   []byte
}

func newLineReader(r io.Reader, limit int) *lineReader {
	return &lineReader{br: bufReader(r), limit: limit}
}

// next returns the next line without its line end (LF or CRLF); the
// slice is valid until the following call. err is io.EOF after the last
// line (a final line without a newline is still returned).
func (lr *lineReader) next() (b []byte, tooLong bool, err error) {
	lr.buf = lr.buf[:0]
	n := 0
	for {
		chunk, err := lr.br.ReadSlice('\n')
		n += len(chunk)
		if !tooLong {
			if n > lr.limit+2 { // +2: the CRLF is not part of the row
				tooLong, lr.buf = true, lr.buf[:0]
			} else {
				if need := len(lr.buf) + len(chunk); need > cap(lr.buf) {
					// Double (append grows large slices by 1.25x, which
					// allocates ~5x the final size on the way up).
					nb := make([]byte, len(lr.buf), min(max(2*cap(lr.buf), need), lr.limit+2))
					copy(nb, lr.buf)
					lr.buf = nb
				}
				lr.buf = append(lr.buf, chunk...)
			}
		}
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case err == io.EOF && n == 0:
			return nil, false, io.EOF
		case err != nil && err != io.EOF:
			return nil, false, err
		}
		lr.line++
		b = bytes.TrimSuffix(bytes.TrimSuffix(lr.buf, []byte("\n")), []byte("\r"))
		if len(b) > lr.limit {
			tooLong, b = true, nil
		}
		return b, tooLong, nil
	}
}

// tooLongErr is the bad-row error of an over-long line: the limit, never
// the text.
func tooLongErr(opt Options) error {
	return fmt.Errorf("row longer than the limit of %d bytes (a text this long is cut to the model's length anyway; raise the limit or split the row)", opt.maxRow())
}

// lineCounter passes bytes through while counting lines, blank lines and
// refusing a line longer than limit (errLineTooLong): the CSV reader
// would otherwise buffer a 50 MB line whole.
type lineCounter struct {
	r            io.Reader
	limit        int
	lines, blank int
	cur          int // bytes of the current line so far, not counting '\r'
	err          error
}

type lineTooLongError struct{ line int }

func (e *lineTooLongError) Error() string { return fmt.Sprintf("line %d is too long", e.line) }

func (c *lineCounter) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.r.Read(p)
	for i := 0; i < n; i++ {
		switch p[i] {
		case '\n':
			c.lines++
			if c.cur == 0 {
				c.blank++
			}
			c.cur = 0
		case '\r':
		default:
			c.cur++
			if c.cur > c.limit {
				c.err = &lineTooLongError{c.lines + 1}
				return i, c.err
			}
		}
	}
	return n, err
}

// total is the number of lines read, counting a last line without a
// newline.
func (c *lineCounter) total() int {
	if c.cur > 0 {
		return c.lines + 1
	}
	return c.lines
}

// looksCoNLL peeks at the start of a table: one token and a BIO tag per
// line, with blank lines (or -DOCSTART-) between sentences, and at least
// one B- or I- tag, is a CoNLL file, not a table of texts and labels.
func looksCoNLL(br *bufio.Reader) bool {
	head, _ := br.Peek(64 << 10)
	if len(head) == 0 {
		return false
	}
	if i := bytes.LastIndexByte(head, '\n'); i >= 0 && len(head) == 64<<10 {
		head = head[:i]
	}
	var lines, tagged, bio, seps int
	seen := false
	for _, l := range strings.Split(string(head), "\n") {
		l = strings.TrimRight(l, "\r")
		if strings.TrimSpace(l) == "" || strings.HasPrefix(l, "-DOCSTART-") {
			if seen {
				seps++
			}
			continue
		}
		seen = true
		lines++
		var cols []string
		if strings.Contains(l, "\t") {
			cols = strings.Split(l, "\t")
		} else {
			cols = strings.Fields(l)
		}
		if len(cols) < 2 || len(cols) > 5 {
			continue
		}
		tag := strings.TrimSpace(cols[len(cols)-1])
		if validTag(tag) {
			tagged++
			if tag != "O" {
				bio++
			}
		}
	}
	return lines >= 3 && seps > 0 && bio > 0 && tagged*10 >= lines*9
}

// quotedChar matches the character Go's JSON errors quote ("invalid
// character 'x' ..."): one byte of the row, dropped from messages.
var quotedChar = regexp.MustCompile(`character '(\\.|[^'])+'`)

// jsonErrText is a JSON decoding error's text without any byte of the
// input in it.
func jsonErrText(err error) string {
	return quotedChar.ReplaceAllString(err.Error(), "character")
}
