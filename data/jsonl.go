package data

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// parseJSONL reads one JSON object per line. Blank lines are ignored (a
// trailing newline or spacing is not a row); anything else that is not an
// object with the configured fields is a bad row.
func parseJSONL(r io.Reader, name string, opt Options) ([]Example, Skipped, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	var out []Example
	var sk Skipped
	for line := 1; ; line++ {
		b, err := br.ReadBytes('\n')
		if err != nil && err != io.EOF {
			return nil, sk, fmt.Errorf("%s:%d: %w", name, line, err)
		}
		if len(bytes.TrimSpace(b)) > 0 {
			ex, rerr := record(b, Pos{name, line}, opt)
			if rerr != nil {
				if e := sk.bad(opt, rerr); e != nil {
					return nil, sk, e
				}
			} else {
				out = append(out, ex)
			}
		}
		if err == io.EOF {
			return out, sk, nil
		}
	}
}

// record turns one JSON object into an Example using the configured keys.
func record(b []byte, pos Pos, opt Options) (Example, *RowError) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return Example{}, &RowError{pos, "", fmt.Errorf("invalid JSON at byte %d: %v", se.Offset, se)}
		}
		return Example{}, &RowError{pos, "", fmt.Errorf("want a JSON object: %v", err)}
	}
	ex := Example{Pos: pos}
	var rerr *RowError
	get := func(key string, dst *string, required, allowNumber bool) {
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
		s, err := jsonScalar(raw, allowNumber)
		if err != nil {
			rerr = &RowError{pos, key, err}
			return
		}
		*dst = s
	}
	get(opt.textField(), &ex.Text, true, false)
	get(opt.TextPairField, &ex.TextPair, true, false)
	get(opt.labelField(), &ex.Label, !opt.Unlabeled, true)
	if rerr != nil {
		return Example{}, rerr
	}
	if e := finish(&ex, opt); e != nil {
		return Example{}, e
	}
	return ex, nil
}

// jsonScalar decodes a JSON string, or (for labels) an integer or a bool
// written as JSON, into its text form: labels 1 and "1" are the same label.
func jsonScalar(raw json.RawMessage, allowNumber bool) (string, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	if allowNumber {
		var n json.Number
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err == nil {
			switch v := v.(type) {
			case json.Number:
				n = v
				if _, err := strconv.ParseInt(n.String(), 10, 64); err == nil {
					return n.String(), nil
				}
				return "", fmt.Errorf("label %s is not an integer or a string", n)
			case bool:
				return strconv.FormatBool(v), nil
			}
		}
	}
	// Name the JSON kind, never the value: the field may hold patient text.
	return "", fmt.Errorf("want a string, got %s", jsonKind(raw))
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

func abbreviate(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 40 {
		return s[:37] + "..."
	}
	return s
}
