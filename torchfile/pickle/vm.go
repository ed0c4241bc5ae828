package pickle

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits bound the resources one Load may use. Zero fields take the
// defaults in DefaultLimits.
type Limits struct {
	MaxDepth  int // container nesting and open MARKs
	MaxMemo   int // memo entries
	MaxStack  int // values on the stack
	MaxLong   int // bytes in one LONG1/LONG4 integer
	MaxString int // bytes in one string/bytes value
}

// DefaultLimits are far above anything a real state_dict needs (a
// bert-large state_dict pickle has ~400 memo entries and depth 4).
var DefaultLimits = Limits{
	MaxDepth:  64,
	MaxMemo:   1 << 20,
	MaxStack:  1 << 20,
	MaxLong:   64,
	MaxString: 64 << 20,
}

// Unpickler holds the policy hooks. A nil hook makes the corresponding
// instructions fail, so the zero Unpickler accepts only plain data.
type Unpickler struct {
	// FindClass resolves GLOBAL / STACK_GLOBAL. It must not execute
	// anything; it returns a marker value or an error refusing the global.
	FindClass func(module, name string) (any, error)
	// PersistentLoad resolves BINPERSID / PERSID ids.
	PersistentLoad func(pid any) (any, error)
	// Call implements REDUCE and NEWOBJ: callable(*args) where callable is
	// a FindClass result.
	Call func(callable any, args *Tuple) (any, error)
	// Build implements BUILD (obj.__setstate__(state)); it returns the
	// object that replaces obj on the stack.
	Build  func(obj, state any) (any, error)
	Limits Limits
}

// Error is a decoding failure with the byte offset of the instruction.
type Error struct {
	Offset int64
	Op     byte
	Err    error
}

func (e *Error) Error() string {
	return fmt.Sprintf("pickle: at byte %d (opcode %s): %v", e.Offset, opName(e.Op), e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

func opName(op byte) string {
	if op >= 0x21 && op < 0x7f {
		return strconv.Quote(string(rune(op)))
	}
	return fmt.Sprintf("0x%02x", op)
}

// LoadBytes unpickles one object from data and reports how many bytes the
// pickle used (up to and including STOP).
func (u *Unpickler) LoadBytes(data []byte) (any, int64, error) {
	return u.Load(bytes.NewReader(data), 0, int64(len(data)))
}

// Load unpickles one object from the byte range [off, end) of r. It returns
// the object and the position just after STOP, where a following pickle or
// raw data starts.
func (u *Unpickler) Load(r io.ReaderAt, off, end int64) (any, int64, error) {
	m := machine{u: u, lim: u.Limits, r: reader{r: r, pos: off, end: end, bp: -1}}
	m.fillLimits()
	v, err := m.run()
	if err != nil {
		return nil, m.r.pos, err
	}
	return v, m.r.pos, nil
}

type machine struct {
	u     *Unpickler
	lim   Limits
	r     reader
	stack []any
	marks []int
	memo  map[uint64]any
}

func (m *machine) fillLimits() {
	d := DefaultLimits
	if m.lim.MaxDepth <= 0 {
		m.lim.MaxDepth = d.MaxDepth
	}
	if m.lim.MaxMemo <= 0 {
		m.lim.MaxMemo = d.MaxMemo
	}
	if m.lim.MaxStack <= 0 {
		m.lim.MaxStack = d.MaxStack
	}
	if m.lim.MaxLong <= 0 {
		m.lim.MaxLong = d.MaxLong
	}
	if m.lim.MaxString <= 0 {
		m.lim.MaxString = d.MaxString
	}
	m.memo = map[uint64]any{}
}

var errEmptyStack = errors.New("stack underflow")

func (m *machine) run() (any, error) {
	for {
		start := m.r.pos
		op, err := m.r.byte()
		if err != nil {
			return nil, &Error{Offset: start, Op: 0, Err: errTruncated}
		}
		done, err := m.step(op)
		if err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) {
				err = errTruncated
			}
			return nil, &Error{Offset: start, Op: op, Err: err}
		}
		if done {
			if len(m.stack) != 1 || len(m.marks) != 0 {
				return nil, &Error{Offset: start, Op: op, Err: fmt.Errorf("STOP with %d values and %d marks on the stack", len(m.stack), len(m.marks))}
			}
			return m.stack[0], nil
		}
	}
}

func (m *machine) push(v any) error {
	if len(m.stack) >= m.lim.MaxStack {
		return fmt.Errorf("stack exceeds %d values", m.lim.MaxStack)
	}
	if Depth(v) > m.lim.MaxDepth {
		return fmt.Errorf("nesting deeper than %d", m.lim.MaxDepth)
	}
	m.stack = append(m.stack, v)
	return nil
}

func (m *machine) pop() (any, error) {
	n := len(m.stack)
	if n == 0 || (len(m.marks) > 0 && m.marks[len(m.marks)-1] == n) {
		return nil, errEmptyStack
	}
	v := m.stack[n-1]
	m.stack = m.stack[:n-1]
	return v, nil
}

func (m *machine) top() (any, error) {
	n := len(m.stack)
	if n == 0 || (len(m.marks) > 0 && m.marks[len(m.marks)-1] == n) {
		return nil, errEmptyStack
	}
	return m.stack[n-1], nil
}

// popMark pops everything above the most recent MARK.
func (m *machine) popMark() ([]any, error) {
	if len(m.marks) == 0 {
		return nil, errors.New("no MARK on the stack")
	}
	k := m.marks[len(m.marks)-1]
	m.marks = m.marks[:len(m.marks)-1]
	items := append([]any(nil), m.stack[k:]...)
	m.stack = m.stack[:k]
	return items, nil
}

func (m *machine) uint(n int) (uint64, error) {
	b, err := m.r.next(n)
	if err != nil {
		return 0, err
	}
	var v uint64
	for i := n - 1; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v, nil
}

// payload reads a length-prefixed string body, checking the declared
// length against the configured limit and the bytes left in the input.
func (m *machine) payload(n uint64) ([]byte, error) {
	if n > uint64(m.lim.MaxString) {
		return nil, fmt.Errorf("string of %d bytes exceeds limit %d", n, m.lim.MaxString)
	}
	if n > uint64(m.r.remaining()) {
		return nil, fmt.Errorf("string of %d bytes but only %d left: %w", n, m.r.remaining(), errTruncated)
	}
	b, err := m.r.next(int(n))
	if err != nil {
		return nil, err
	}
	return b, nil
}

func tupleOf(items []any) *Tuple {
	d := 0
	for _, it := range items {
		d = max(d, Depth(it))
	}
	return &Tuple{Items: items, depth: d + 1}
}

func (m *machine) memoPut(idx uint64) error {
	v, err := m.top()
	if err != nil {
		return err
	}
	if _, ok := m.memo[idx]; !ok && len(m.memo) >= m.lim.MaxMemo {
		return fmt.Errorf("memo exceeds %d entries", m.lim.MaxMemo)
	}
	m.memo[idx] = v
	return nil
}

func (m *machine) memoGet(idx uint64) error {
	v, ok := m.memo[idx]
	if !ok {
		return fmt.Errorf("memo key %d not defined", idx)
	}
	return m.push(v)
}

func (m *machine) global(module, name string) error {
	if m.u.FindClass == nil {
		return fmt.Errorf("global %s.%s is not allowed", module, name)
	}
	v, err := m.u.FindClass(module, name)
	if err != nil {
		return err
	}
	return m.push(v)
}

func (m *machine) call(callable any, args *Tuple) error {
	if m.u.Call == nil {
		return fmt.Errorf("calling %s is not allowed", TypeName(callable))
	}
	v, err := m.u.Call(callable, args)
	if err != nil {
		return err
	}
	return m.push(v)
}

// appendItems implements APPEND/APPENDS on a list.
func (m *machine) appendItems(items []any) error {
	t, err := m.top()
	if err != nil {
		return err
	}
	l, ok := t.(*List)
	if !ok {
		return fmt.Errorf("APPEND to %s", TypeName(t))
	}
	for _, it := range items {
		if d := Depth(it) + 1; d > l.depth {
			if d > m.lim.MaxDepth {
				return fmt.Errorf("nesting deeper than %d", m.lim.MaxDepth)
			}
			l.depth = d
		}
	}
	if len(l.Items)+len(items) > m.lim.MaxStack {
		return fmt.Errorf("list exceeds %d items", m.lim.MaxStack)
	}
	l.Items = append(l.Items, items...)
	return nil
}

// setItems implements SETITEM/SETITEMS on a dict.
func (m *machine) setItems(kv []any) error {
	if len(kv)%2 != 0 {
		return errors.New("SETITEMS with an odd number of values")
	}
	t, err := m.top()
	if err != nil {
		return err
	}
	d, ok := t.(*Dict)
	if !ok {
		return fmt.Errorf("SETITEM on %s", TypeName(t))
	}
	for i := 0; i < len(kv); i += 2 {
		if dd := Depth(kv[i+1]) + 1; dd > d.depth {
			if dd > m.lim.MaxDepth {
				return fmt.Errorf("nesting deeper than %d", m.lim.MaxDepth)
			}
			d.depth = dd
		}
		if err := d.Set(kv[i], kv[i+1]); err != nil {
			return err
		}
	}
	return nil
}

func decodeLong(b []byte) any {
	if len(b) == 0 {
		return int64(0)
	}
	if len(b) <= 8 {
		var v uint64
		for i := len(b) - 1; i >= 0; i-- {
			v = v<<8 | uint64(b[i])
		}
		shift := uint(64 - 8*len(b))
		return int64(v<<shift) >> shift // sign-extend
	}
	// Little-endian two's complement of arbitrary length.
	be := make([]byte, len(b))
	for i := range b {
		be[len(b)-1-i] = b[i]
	}
	v := new(big.Int).SetBytes(be)
	if b[len(b)-1]&0x80 != 0 {
		v.Sub(v, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	if v.IsInt64() {
		return v.Int64()
	}
	return v
}

// str decodes pickled text. Python's pickle writes UTF-8 (surrogates escape
// via surrogatepass); invalid sequences are rejected rather than guessed.
func str(b []byte) (string, error) {
	if !utf8.Valid(b) {
		return "", errors.New("string is not valid UTF-8")
	}
	return string(b), nil
}

func parseTextInt(s string) (any, error) {
	s = strings.TrimSuffix(strings.TrimSpace(s), "L")
	switch s {
	case "00":
		return false, nil
	case "01":
		return true, nil
	}
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		return v, nil
	}
	if len(s) > 64 {
		return nil, errors.New("integer literal too long")
	}
	v, ok := new(big.Int).SetString(s, 10)
	if !ok {
		return nil, fmt.Errorf("bad integer literal %q", s)
	}
	return v, nil
}

func float64From(b []byte) float64 { return math.Float64frombits(binary.BigEndian.Uint64(b)) }
