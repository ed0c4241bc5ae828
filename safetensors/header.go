package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"unicode/utf8"
)

// MaxHeaderSize is the largest header accepted, as in the Rust crate.
const MaxHeaderSize = 100_000_000

const metadataKey = "__metadata__"

// FormatError reports a malformed file. File is the name given to Open or
// Parse; Field is the tensor name or header field at fault ("" when the
// problem concerns the whole file).
type FormatError struct {
	File  string
	Field string
	Msg   string
}

func (e *FormatError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("safetensors: %s: %s", e.File, e.Msg)
	}
	return fmt.Sprintf("safetensors: %s: %s: %s", e.File, e.Field, e.Msg)
}

func formatErr(file, field, format string, args ...any) error {
	return &FormatError{File: file, Field: field, Msg: fmt.Sprintf(format, args...)}
}

// Info describes one tensor. Begin and End are byte offsets relative to the
// start of the data section (data_offsets in the header).
type Info struct {
	DType      DType
	Shape      []int
	Begin, End int64
}

// NumElements returns the product of the shape (1 for a scalar).
func (i Info) NumElements() int {
	n := 1
	for _, d := range i.Shape {
		n *= d
	}
	return n
}

// header is a parsed, validated header.
type header struct {
	size     int64 // N, the JSON length without the 8-byte prefix
	infos    map[string]Info
	order    []string // tensor names in header order
	metadata map[string]string
	metaKeys []string // metadata keys in header order
}

// headerLen validates the 8-byte prefix against the file size and returns N.
func headerLen(prefix []byte, fileSize int64, file string) (int64, error) {
	if fileSize < 8 {
		return 0, formatErr(file, "header length", "file is %d bytes, shorter than the 8-byte header length (empty or not a safetensors file?)", fileSize)
	}
	n := binary.LittleEndian.Uint64(prefix[:8])
	switch {
	case n > MaxHeaderSize:
		return 0, formatErr(file, "header length", "%d exceeds the %d-byte limit (not a safetensors file?)", n, MaxHeaderSize)
	case n < 2:
		return 0, formatErr(file, "header length", "%d is too small for a JSON object (not a safetensors file?)", n)
	case int64(n) > fileSize-8:
		return 0, formatErr(file, "header length", "%d is larger than the %d bytes after the length prefix (truncated file?)", n, fileSize-8)
	}
	return int64(n), nil
}

// rawInfo mirrors a tensor entry; pointers detect missing fields.
type rawInfo struct {
	DType       *string  `json:"dtype"`
	Shape       *[]int64 `json:"shape"`
	DataOffsets *[]int64 `json:"data_offsets"`
}

// parseHeader validates the JSON header hdr against a data section of
// dataLen bytes.
func parseHeader(hdr []byte, dataLen int64, file string) (*header, error) {
	if !utf8.Valid(hdr) {
		return nil, formatErr(file, "header", "header is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(hdr))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, formatErr(file, "header", "invalid JSON: %v", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, formatErr(file, "header", "header is not a JSON object")
	}
	h := &header{size: int64(len(hdr)), infos: map[string]Info{}}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, formatErr(file, "header", "invalid JSON: %v", err)
		}
		key, ok := tok.(string)
		if !ok {
			return nil, formatErr(file, "header", "invalid JSON: object key is not a string")
		}
		if seen[key] {
			return nil, formatErr(file, key, "duplicate key in header")
		}
		seen[key] = true
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, formatErr(file, key, "invalid JSON: %v", err)
		}
		if key == metadataKey {
			if err := h.parseMetadata(raw, file); err != nil {
				return nil, err
			}
			continue
		}
		info, err := parseInfo(raw, file, key)
		if err != nil {
			return nil, err
		}
		h.infos[key] = info
		h.order = append(h.order, key)
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return nil, formatErr(file, "header", "invalid JSON: %v", err)
	}
	// Only whitespace (the writer's space padding) may follow the object.
	rest := hdr[dec.InputOffset():]
	if len(bytes.TrimLeft(rest, " \t\r\n")) != 0 {
		return nil, formatErr(file, "header", "unexpected data after the JSON object")
	}
	if err := h.checkSpans(dataLen, file); err != nil {
		return nil, err
	}
	return h, nil
}

func (h *header) parseMetadata(raw json.RawMessage, file string) error {
	if string(raw) == "null" { // the Rust crate reads null as "no metadata"
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	tok, err := dec.Token()
	if d, ok := tok.(json.Delim); err != nil || !ok || d != '{' {
		return formatErr(file, metadataKey, "must be an object of strings")
	}
	h.metadata = map[string]string{}
	for dec.More() {
		tok, err := dec.Token()
		k, ok := tok.(string)
		if err != nil || !ok {
			return formatErr(file, metadataKey, "must be an object of strings")
		}
		tok, err = dec.Token()
		v, ok := tok.(string)
		if err != nil || !ok {
			return formatErr(file, metadataKey+"."+k, "value must be a string")
		}
		if _, dup := h.metadata[k]; dup {
			return formatErr(file, metadataKey+"."+k, "duplicate key")
		}
		h.metadata[k] = v
		h.metaKeys = append(h.metaKeys, k)
	}
	return nil
}

func parseInfo(raw json.RawMessage, file, name string) (Info, error) {
	var ri rawInfo
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ri); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return Info{}, formatErr(file, name, "field %q has the wrong type (%s)", te.Field, te.Value)
		}
		return Info{}, formatErr(file, name, "invalid tensor entry: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Info{}, formatErr(file, name, "invalid tensor entry")
	}
	switch {
	case ri.DType == nil:
		return Info{}, formatErr(file, name, "missing field \"dtype\"")
	case ri.Shape == nil:
		return Info{}, formatErr(file, name, "missing field \"shape\"")
	case ri.DataOffsets == nil:
		return Info{}, formatErr(file, name, "missing field \"data_offsets\"")
	}
	dt := DType(*ri.DType)
	if !dt.Known() {
		return Info{}, formatErr(file, name, "unknown dtype %q", *ri.DType)
	}
	if len(*ri.DataOffsets) != 2 {
		return Info{}, formatErr(file, name, "data_offsets must have 2 entries, has %d", len(*ri.DataOffsets))
	}
	begin, end := (*ri.DataOffsets)[0], (*ri.DataOffsets)[1]
	if begin < 0 || end < begin {
		return Info{}, formatErr(file, name, "invalid data_offsets [%d, %d]", begin, end)
	}
	// Element count without overflow; limit to MaxInt so it can index slices
	// on 32-bit platforms too.
	shape := make([]int, len(*ri.Shape))
	hasZero := false
	for i, d := range *ri.Shape {
		if d < 0 {
			return Info{}, formatErr(file, name, "shape[%d] = %d is negative", i, d)
		}
		if d > int64(math.MaxInt) {
			return Info{}, formatErr(file, name, "shape[%d] = %d is too large", i, d)
		}
		shape[i] = int(d)
		hasZero = hasZero || d == 0
	}
	count := int64(1)
	if hasZero {
		count = 0
	} else {
		limit := int64(math.MaxInt) / int64(dt.Size())
		for _, d := range *ri.Shape {
			if count > limit/d {
				return Info{}, formatErr(file, name, "shape %v overflows", *ri.Shape)
			}
			count *= d
		}
	}
	if want := count * int64(dt.Size()); want != end-begin {
		return Info{}, formatErr(file, name, "shape %v of %s needs %d bytes but data_offsets [%d, %d] span %d", *ri.Shape, dt, want, begin, end, end-begin)
	}
	return Info{DType: dt, Shape: shape, Begin: begin, End: end}, nil
}

// checkSpans requires the spans, sorted by begin, to tile [0, dataLen).
func (h *header) checkSpans(dataLen int64, file string) error {
	names := slices.Clone(h.order)
	slices.SortStableFunc(names, func(a, b string) int {
		ia, ib := h.infos[a], h.infos[b]
		if ia.Begin != ib.Begin {
			return cmpInt64(ia.Begin, ib.Begin)
		}
		return cmpInt64(ia.End, ib.End)
	})
	pos := int64(0)
	prev := ""
	for _, n := range names {
		info := h.infos[n]
		switch {
		case info.End > dataLen:
			return formatErr(file, n, "data_offsets [%d, %d] run past the %d-byte data section", info.Begin, info.End, dataLen)
		case info.Begin < pos:
			return formatErr(file, n, "data_offsets [%d, %d] overlap tensor %q which ends at %d", info.Begin, info.End, prev, pos)
		case info.Begin > pos:
			return formatErr(file, n, "gap in the data section: bytes [%d, %d) belong to no tensor", pos, info.Begin)
		}
		pos, prev = info.End, n
	}
	if pos != dataLen {
		return formatErr(file, "data", "data section is %d bytes but the tensors cover only %d (trailing bytes)", dataLen, pos)
	}
	return nil
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
