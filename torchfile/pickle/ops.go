package pickle

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Opcodes accepted by the interpreter: the data-only subset of protocols
// 0-5 that torch.save writes (protocol 2) plus what newer writers emit for
// the same data (FRAME, MEMOIZE, STACK_GLOBAL, 8-byte lengths).
// Deliberately absent: INST and OBJ (call a class by name), EXT1/2/4
// (copyreg extension registry), NEXT_BUFFER/READONLY_BUFFER (out-of-band
// buffers), STRING/UNICODE (repr-escaped text), sets and bytearrays. They
// are reported as unsupported opcodes.
const (
	opMark           = '('
	opStop           = '.'
	opPop            = '0'
	opPopMark        = '1'
	opDup            = '2'
	opFloat          = 'F'
	opInt            = 'I'
	opBinInt         = 'J'
	opBinInt1        = 'K'
	opLong           = 'L'
	opBinInt2        = 'M'
	opNone           = 'N'
	opPersID         = 'P'
	opBinPersID      = 'Q'
	opReduce         = 'R'
	opBinString      = 'T'
	opShortBinString = 'U'
	opBinUnicode     = 'X'
	opAppend         = 'a'
	opBuild          = 'b'
	opGlobal         = 'c'
	opDict           = 'd'
	opEmptyDict      = '}'
	opAppends        = 'e'
	opGet            = 'g'
	opBinGet         = 'h'
	opLongBinGet     = 'j'
	opList           = 'l'
	opEmptyList      = ']'
	opPut            = 'p'
	opBinPut         = 'q'
	opLongBinPut     = 'r'
	opSetItem        = 's'
	opTuple          = 't'
	opEmptyTuple     = ')'
	opSetItems       = 'u'
	opBinFloat       = 'G'
	opBinBytes       = 'B'
	opShortBinBytes  = 'C'

	opProto          = 0x80
	opNewObj         = 0x81
	opTuple1         = 0x85
	opTuple2         = 0x86
	opTuple3         = 0x87
	opNewTrue        = 0x88
	opNewFalse       = 0x89
	opLong1          = 0x8a
	opLong4          = 0x8b
	opShortBinUni    = 0x8c
	opBinUnicode8    = 0x8d
	opBinBytes8      = 0x8e
	opNewObjEx       = 0x92
	opStackGlobal    = 0x93
	opMemoize        = 0x94
	opFrame          = 0x95
	highestProtocol  = 5
	maxTextArgLength = 256
)

// step executes one instruction; done reports STOP.
func (m *machine) step(op byte) (done bool, err error) {
	switch op {
	case opProto:
		v, err := m.r.byte()
		if err != nil {
			return false, err
		}
		if v > highestProtocol {
			return false, fmt.Errorf("unsupported pickle protocol %d", v)
		}
	case opFrame:
		// Framing is only a read-ahead hint; the frame length must still
		// fit the input.
		n, err := m.uint(8)
		if err != nil {
			return false, err
		}
		if n > uint64(m.r.remaining()) {
			return false, fmt.Errorf("frame of %d bytes but only %d left: %w", n, m.r.remaining(), errTruncated)
		}
	case opStop:
		return true, nil
	case opMark:
		if len(m.marks) >= m.lim.MaxDepth {
			return false, fmt.Errorf("more than %d nested MARKs", m.lim.MaxDepth)
		}
		m.marks = append(m.marks, len(m.stack))
	case opPop:
		if n := len(m.stack); n > 0 && len(m.marks) > 0 && m.marks[len(m.marks)-1] == n {
			// Python's POP discards a MARK when it is on top.
			m.marks = m.marks[:len(m.marks)-1]
			return false, nil
		}
		_, err = m.pop()
	case opPopMark:
		_, err = m.popMark()
	case opDup:
		v, err := m.top()
		if err != nil {
			return false, err
		}
		return false, m.push(v)

	case opNone:
		return false, m.push(nil)
	case opNewTrue:
		return false, m.push(true)
	case opNewFalse:
		return false, m.push(false)
	case opBinInt:
		v, err := m.uint(4)
		if err != nil {
			return false, err
		}
		return false, m.push(int64(int32(uint32(v))))
	case opBinInt1:
		v, err := m.uint(1)
		if err != nil {
			return false, err
		}
		return false, m.push(int64(v))
	case opBinInt2:
		v, err := m.uint(2)
		if err != nil {
			return false, err
		}
		return false, m.push(int64(v))
	case opLong1, opLong4:
		w := 1
		if op == opLong4 {
			w = 4
		}
		n, err := m.uint(w)
		if err != nil {
			return false, err
		}
		if n > uint64(m.lim.MaxLong) {
			return false, fmt.Errorf("integer of %d bytes exceeds limit %d", n, m.lim.MaxLong)
		}
		b, err := m.r.next(int(n))
		if err != nil {
			return false, err
		}
		return false, m.push(decodeLong(b))
	case opInt, opLong:
		s, err := m.r.line(maxTextArgLength)
		if err != nil {
			return false, err
		}
		v, err := parseTextInt(s)
		if err != nil {
			return false, err
		}
		return false, m.push(v)
	case opBinFloat:
		b, err := m.r.next(8)
		if err != nil {
			return false, err
		}
		return false, m.push(float64From(b))
	case opFloat:
		s, err := m.r.line(maxTextArgLength)
		if err != nil {
			return false, err
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return false, fmt.Errorf("bad float literal")
		}
		return false, m.push(f)

	case opBinUnicode, opShortBinUni, opBinUnicode8, opBinString, opShortBinString:
		w := lengthWidth(op)
		n, err := m.uint(w)
		if err != nil {
			return false, err
		}
		if op == opBinString && n >= 1<<31 {
			return false, errors.New("negative BINSTRING length")
		}
		b, err := m.payload(n)
		if err != nil {
			return false, err
		}
		// Python 2 str (BINSTRING) is decoded as UTF-8, as torch.load does.
		s, err := str(b)
		if err != nil {
			return false, err
		}
		return false, m.push(s)
	case opBinBytes, opShortBinBytes, opBinBytes8:
		w := lengthWidth(op)
		n, err := m.uint(w)
		if err != nil {
			return false, err
		}
		b, err := m.payload(n)
		if err != nil {
			return false, err
		}
		return false, m.push(append([]byte(nil), b...))

	case opEmptyTuple:
		return false, m.push(&Tuple{depth: 1})
	case opTuple:
		items, err := m.popMark()
		if err != nil {
			return false, err
		}
		return false, m.push(tupleOf(items))
	case opTuple1, opTuple2, opTuple3:
		n := int(op-opTuple1) + 1
		items := make([]any, n)
		for i := n - 1; i >= 0; i-- {
			if items[i], err = m.pop(); err != nil {
				return false, err
			}
		}
		return false, m.push(tupleOf(items))
	case opEmptyList:
		return false, m.push(&List{depth: 1})
	case opList:
		items, err := m.popMark()
		if err != nil {
			return false, err
		}
		t := tupleOf(items)
		return false, m.push(&List{Items: t.Items, depth: t.depth})
	case opAppend:
		v, err := m.pop()
		if err != nil {
			return false, err
		}
		return false, m.appendItems([]any{v})
	case opAppends:
		items, err := m.popMark()
		if err != nil {
			return false, err
		}
		return false, m.appendItems(items)
	case opEmptyDict:
		d := NewDict()
		d.depth = 1
		return false, m.push(d)
	case opDict:
		kv, err := m.popMark()
		if err != nil {
			return false, err
		}
		d := NewDict()
		d.depth = 1
		if err := m.push(d); err != nil {
			return false, err
		}
		return false, m.setItems(kv)
	case opSetItem:
		v, err := m.pop()
		if err != nil {
			return false, err
		}
		k, err := m.pop()
		if err != nil {
			return false, err
		}
		return false, m.setItems([]any{k, v})
	case opSetItems:
		kv, err := m.popMark()
		if err != nil {
			return false, err
		}
		return false, m.setItems(kv)

	case opPut:
		s, err := m.r.line(maxTextArgLength)
		if err != nil {
			return false, err
		}
		idx, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return false, errors.New("bad PUT index")
		}
		return false, m.memoPut(idx)
	case opBinPut, opLongBinPut:
		w := 1
		if op == opLongBinPut {
			w = 4
		}
		idx, err := m.uint(w)
		if err != nil {
			return false, err
		}
		return false, m.memoPut(idx)
	case opMemoize:
		return false, m.memoPut(uint64(len(m.memo)))
	case opGet:
		s, err := m.r.line(maxTextArgLength)
		if err != nil {
			return false, err
		}
		idx, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return false, errors.New("bad GET index")
		}
		return false, m.memoGet(idx)
	case opBinGet, opLongBinGet:
		w := 1
		if op == opLongBinGet {
			w = 4
		}
		idx, err := m.uint(w)
		if err != nil {
			return false, err
		}
		return false, m.memoGet(idx)

	case opGlobal:
		module, err := m.r.line(maxTextArgLength)
		if err != nil {
			return false, err
		}
		name, err := m.r.line(maxTextArgLength)
		if err != nil {
			return false, err
		}
		return false, m.global(module, name)
	case opStackGlobal:
		nv, err := m.pop()
		if err != nil {
			return false, err
		}
		mv, err := m.pop()
		if err != nil {
			return false, err
		}
		module, ok1 := mv.(string)
		name, ok2 := nv.(string)
		if !ok1 || !ok2 {
			return false, errors.New("STACK_GLOBAL needs two strings")
		}
		return false, m.global(module, name)
	case opReduce, opNewObj:
		av, err := m.pop()
		if err != nil {
			return false, err
		}
		fn, err := m.pop()
		if err != nil {
			return false, err
		}
		args, ok := av.(*Tuple)
		if !ok {
			return false, fmt.Errorf("arguments are %s, not a tuple", TypeName(av))
		}
		return false, m.call(fn, args)
	case opNewObjEx:
		kw, err := m.pop()
		if err != nil {
			return false, err
		}
		av, err := m.pop()
		if err != nil {
			return false, err
		}
		fn, err := m.pop()
		if err != nil {
			return false, err
		}
		args, ok := av.(*Tuple)
		if d, isDict := kw.(*Dict); !ok || !isDict || d.Len() != 0 {
			return false, errors.New("NEWOBJ_EX needs a tuple and empty keyword arguments")
		}
		return false, m.call(fn, args)
	case opBuild:
		state, err := m.pop()
		if err != nil {
			return false, err
		}
		obj, err := m.pop()
		if err != nil {
			return false, err
		}
		if m.u.Build == nil {
			return false, fmt.Errorf("BUILD on %s is not allowed", TypeName(obj))
		}
		v, err := m.u.Build(obj, state)
		if err != nil {
			return false, err
		}
		return false, m.push(v)
	case opBinPersID, opPersID:
		var pid any
		if op == opPersID {
			s, err := m.r.line(maxTextArgLength)
			if err != nil {
				return false, err
			}
			pid = s
		} else if pid, err = m.pop(); err != nil {
			return false, err
		}
		if m.u.PersistentLoad == nil {
			return false, errors.New("persistent ids are not allowed here")
		}
		v, err := m.u.PersistentLoad(pid)
		if err != nil {
			return false, err
		}
		return false, m.push(v)
	default:
		return false, fmt.Errorf("unsupported opcode")
	}
	return false, err
}

// lengthWidth is the size in bytes of the length prefix of a string or
// bytes opcode.
func lengthWidth(op byte) int {
	switch op {
	case opShortBinUni, opShortBinString, opShortBinBytes:
		return 1
	case opBinUnicode8, opBinBytes8:
		return 8
	}
	return 4
}
