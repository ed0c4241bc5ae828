package data

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// Field is one extra field of a row kept under Options.KeepFields: its
// name (a JSON key, a CSV/TSV header cell, or the column's 0-based index
// without a header) and its value as JSON; a table cell is a JSON string.
type Field struct {
	Name  string
	Value json.RawMessage
}

// Field returns the extra field name as text: a JSON string unquoted, any
// other JSON value (a number, a boolean) as written. ok is false when the
// row has no such field or it is null.
func (e *Example) Field(name string) (value string, ok bool) {
	for _, f := range e.Fields {
		if f.Name != name {
			continue
		}
		v := strings.TrimSpace(string(f.Value))
		if v == "null" {
			return "", false
		}
		var s string
		if json.Unmarshal(f.Value, &s) == nil {
			return s, true
		}
		return v, true
	}
	return "", false
}

// objectFields lists a JSON object's members in file order, leaving out
// the keys in skip ("" entries are ignored). b must be a valid object.
func objectFields(b []byte, skip ...string) []Field {
	dec := json.NewDecoder(bytes.NewReader(b))
	if _, err := dec.Token(); err != nil { // '{'
		return nil
	}
	var out []Field
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return out
		}
		key, _ := t.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return out
		}
		if !contains(skip, key) {
			out = append(out, Field{key, append(json.RawMessage(nil), v...)})
		}
	}
	return out
}

// tableFields turns a record's cells, other than the columns in skip, into
// fields named by the header (or by index without one).
func tableFields(rec, header []string, skip []int) []Field {
	var out []Field
	for i, v := range rec {
		if containsInt(skip, i) {
			continue
		}
		name := strconv.Itoa(i)
		if i < len(header) {
			name = header[i]
		}
		b, _ := json.Marshal(v)
		out = append(out, Field{name, b})
	}
	return out
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x != "" && x == v {
			return true
		}
	}
	return false
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
