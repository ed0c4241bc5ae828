// Package pickle is a restricted, non-executing interpreter for Python's
// pickle format, just large enough to read PyTorch state_dict checkpoints.
//
// A pickle is a program for a stack machine whose instructions can import
// and call arbitrary Python callables. This package never imports or calls
// anything: GLOBAL and STACK_GLOBAL are handed to a caller-supplied
// FindClass hook that returns a plain Go value (or refuses), and REDUCE,
// NEWOBJ and BUILD hand that value back to caller hooks that build Go data.
// Everything else (numbers, strings, tuples, lists, dicts, the memo) is
// decoded into the Go types below. Resource use is bounded by Limits, and
// every length read from the input is checked against the bytes that remain
// before anything is allocated.
package pickle

import (
	"fmt"
	"math/big"
)

// Values produced by the interpreter:
//
//	None            -> nil
//	bool            -> bool
//	int             -> int64, or *big.Int when it does not fit
//	float           -> float64
//	str             -> string
//	bytes           -> []byte
//	tuple           -> *Tuple
//	list            -> *List
//	dict            -> *Dict (insertion ordered)
//	GLOBAL          -> whatever Unpickler.FindClass returned
//	REDUCE / NEWOBJ -> whatever Unpickler.Call returned

// Tuple is an immutable Python tuple.
type Tuple struct {
	Items []any
	depth int
}

// List is a Python list.
type List struct {
	Items []any
	depth int
}

// Dict is a Python dict (or OrderedDict) that keeps insertion order. Keys
// are restricted to hashable scalars (str, int, bool, float, None), which is
// all a state_dict uses.
type Dict struct {
	Keys   []any
	Values []any
	index  map[any]int
	depth  int
}

// NewDict returns an empty Dict.
func NewDict() *Dict { return &Dict{index: map[any]int{}} }

// Len is the number of entries.
func (d *Dict) Len() int { return len(d.Keys) }

// Get returns the value stored under key.
func (d *Dict) Get(key any) (any, bool) {
	i, ok := d.index[key]
	if !ok {
		return nil, false
	}
	return d.Values[i], true
}

// Set stores value under key, keeping the first insertion position as
// Python dicts do.
func (d *Dict) Set(key, value any) error {
	switch key.(type) {
	case string, int64, bool, float64, nil:
	default:
		return fmt.Errorf("unsupported dict key of type %s", TypeName(key))
	}
	if d.index == nil {
		d.index = map[any]int{}
	}
	if i, ok := d.index[key]; ok {
		d.Values[i] = value
		return nil
	}
	d.index[key] = len(d.Keys)
	d.Keys = append(d.Keys, key)
	d.Values = append(d.Values, value)
	return nil
}

// Depth reports how deeply containers nest inside v (0 for scalars). It is
// maintained as containers are built, so it never walks the value and is
// safe on self-referencing structures.
func Depth(v any) int {
	switch x := v.(type) {
	case *Tuple:
		return x.depth
	case *List:
		return x.depth
	case *Dict:
		return x.depth
	}
	return 0
}

// TypeName is a short, non-recursive description of v for error messages.
// It never prints the value itself, so errors stay small and carry no data.
func TypeName(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case bool:
		return "bool"
	case int64, *big.Int:
		return "int"
	case float64:
		return "float"
	case string:
		return "str"
	case []byte:
		return "bytes"
	case *Tuple:
		return fmt.Sprintf("tuple of %d", len(x.Items))
	case *List:
		return fmt.Sprintf("list of %d", len(x.Items))
	case *Dict:
		return fmt.Sprintf("dict of %d", len(x.Keys))
	case fmt.Stringer:
		return x.String()
	}
	return fmt.Sprintf("%T", v)
}
