package data

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// parseJSONL reads one JSON object per line. Blank lines are ignored (a
// trailing newline or spacing is not a row) and counted; anything else
// that is not an object with the configured fields is a bad row.
func parseJSONL(r io.Reader, name string, opt Options) ([]Example, Skipped, error) {
	lr := newLineReader(r, opt.maxRow())
	var out []Example
	var sk Skipped
	var kinds labelKinds
	for {
		b, tooLong, err := lr.next()
		if err == io.EOF {
			sk.Rows = len(out)
			return out, sk, nil
		}
		if err != nil {
			return nil, sk, fmt.Errorf("%s:%d: %w", name, lr.line+1, err)
		}
		sk.Lines++
		pos := Pos{name, lr.line}
		if !tooLong && len(bytes.TrimSpace(b)) == 0 {
			sk.Blank++
			continue
		}
		var ex Example
		var rerr *RowError
		if tooLong {
			rerr = &RowError{pos, "", tooLongErr(opt)}
		} else {
			ex, rerr = record(b, pos, opt, &kinds)
		}
		if rerr != nil {
			if e := sk.bad(opt, rerr); e != nil {
				return nil, sk, e
			}
			continue
		}
		out = append(out, ex)
	}
}

// labelKinds remembers whether a file's labels are JSON strings or
// numbers: 1 and "1" would silently become one class, so a file must
// write all its labels one way.
type labelKinds struct {
	kind string // "" until the first label
	line int
}

func (k *labelKinds) check(kind string, pos Pos) error {
	if k.kind == "" {
		k.kind, k.line = kind, pos.Line
		return nil
	}
	if kind != k.kind {
		return fmt.Errorf("is a JSON %s but the label on line %d is a JSON %s: 1 and \"1\" would become one class; write every label the same way", kind, k.line, k.kind)
	}
	return nil
}

// record turns one JSON object into an Example using the configured keys.
// kinds (nil to skip the check) tracks the label's JSON kind across rows.
func record(b []byte, pos Pos, opt Options, kinds *labelKinds) (Example, *RowError) {
	if !utf8.Valid(b) {
		// encoding/json would silently replace the bytes with U+FFFD.
		return Example{}, &RowError{pos, "", errInvalidUTF8(string(b), "line")}
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		var se *json.SyntaxError
		if t := bytes.TrimSpace(b); len(t) > 0 && t[0] != '{' && t[0] != '[' && t[0] != '"' {
			return Example{}, &RowError{pos, "", fmt.Errorf("not a JSON object (is the file CSV or TSV? name its format)")}
		}
		if errors.As(err, &se) {
			return Example{}, &RowError{pos, "", fmt.Errorf("invalid JSON at byte %d: %s", se.Offset, jsonErrText(se))}
		}
		return Example{}, &RowError{pos, "", fmt.Errorf("want a JSON object, got %s", jsonKind(b))}
	}
	ex := Example{Pos: pos}
	var rerr *RowError
	get := func(key string, dst *string, required bool) {
		if rerr != nil || key == "" {
			return
		}
		raw, ok := m[key]
		if !ok || string(raw) == "null" {
			if required {
				rerr = &RowError{pos, key, errMissing}
			}
			return
		}
		s, err := jsonString(raw)
		if err != nil {
			rerr = &RowError{pos, key, err}
			return
		}
		*dst = s
	}
	get(opt.textField(), &ex.Text, true)
	get(opt.TextPairField, &ex.TextPair, true)
	if rerr != nil {
		return Example{}, rerr
	}
	if raw, ok := m[opt.labelField()]; ok && string(raw) != "null" {
		s, kind, err := jsonLabel(raw)
		if err == nil && kinds != nil {
			err = kinds.check(kind, pos)
		}
		if err != nil {
			return Example{}, &RowError{pos, opt.labelField(), err}
		}
		ex.Label = s
	} else if !opt.Unlabeled {
		return Example{}, &RowError{pos, opt.labelField(), errMissing}
	}
	if e := finish(&ex, opt); e != nil {
		return Example{}, e
	}
	if opt.KeepFields {
		ex.Fields = objectFields(b, opt.textField(), opt.TextPairField)
	}
	return ex, nil
}

// ParseRecord reads one JSON object (a JSONL line, e.g. on stdin) into an
// example with opt's field names; errors name pos and the field, never a
// value.
func ParseRecord(b []byte, pos Pos, opt Options) (Example, error) {
	ex, re := record(b, pos, opt, nil)
	if re != nil {
		return Example{}, re
	}
	return ex, nil
}

// jsonString decodes a JSON string. Errors name the JSON kind, never the
// value: the field may hold patient text.
func jsonString(raw json.RawMessage) (string, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	return "", fmt.Errorf("want a string, got %s", jsonKind(raw))
}

// jsonLabel decodes a label: a JSON string or an integer (kind "string" or
// "number"). Booleans and fractions are refused: true/false would become
// classes named "true" and "false" without anyone deciding so.
func jsonLabel(raw json.RawMessage) (label, kind string, err error) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, "string", nil
	}
	switch k := jsonKind(raw); k {
	case "a number":
		t := strings.TrimSpace(string(raw))
		if _, err := strconv.ParseInt(t, 10, 64); err != nil {
			return "", "", errors.New("a number that is not an integer: labels are strings or integers")
		}
		return t, "number", nil
	case "a boolean":
		return "", "", errors.New("a boolean: labels are strings or integers; write true/false as strings (\"yes\"/\"no\") if they are meant as classes")
	default:
		return "", "", fmt.Errorf("want a string or an integer, got %s", k)
	}
}

// jsonKind names the kind of a raw JSON value (object, array, number, ...).
func jsonKind(raw []byte) string {
	s := strings.TrimSpace(string(raw))
	switch {
	case s == "":
		return "nothing"
	case s[0] == '{':
		return "an object"
	case s[0] == '[':
		return "an array"
	case s == "true" || s == "false":
		return "a boolean"
	case s == "null":
		return "null"
	case s[0] == '"':
		return "a string"
	}
	return "a number"
}
