package serve

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
)

// decodeDiagnose reads and validates a DiagnoseRequest. It walks the
// top-level object itself, so that field names match exactly (encoding/json
// alone would accept "TEXT"), unknown and repeated fields are refused, and
// each error names the field at fault without repeating its value.
func decodeDiagnose(body io.Reader, maxTexts int) (DiagnoseRequest, *apiError) {
	var req DiagnoseRequest
	dec := json.NewDecoder(body)
	tok, err := dec.Token()
	if err != nil {
		return req, syntaxError(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return req, badField("", "the body must be a JSON object")
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return req, syntaxError(err)
		}
		key, _ := tok.(string) // object keys are always strings
		if seen[key] {
			return req, badField(safeFieldName(key), "field given twice")
		}
		seen[key] = true
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return req, syntaxError(err)
		}
		if e := setField(&req, key, raw); e != nil {
			return req, e
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return req, syntaxError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		if err == nil {
			return req, badField("", "malformed JSON: data after the object")
		}
		return req, syntaxError(err)
	}
	return req, validate(&req, maxTexts)
}

func setField(req *DiagnoseRequest, key string, raw json.RawMessage) *apiError {
	isNull := string(raw) == "null"
	switch key {
	case "text":
		if isNull {
			return nil
		}
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return badField(key, "must be a string")
		}
		req.Text = &s
	case "text_pair":
		if isNull {
			return nil
		}
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return badField(key, "must be a string")
		}
		req.TextPair = &s
	case "texts", "text_pairs":
		if isNull {
			return nil
		}
		list, e := stringList(key, raw)
		if e != nil {
			return e
		}
		if key == "texts" {
			req.Texts = list
		} else {
			req.TextPairs = list
		}
	case "top_k":
		if isNull {
			return nil
		}
		var k int
		if json.Unmarshal(raw, &k) != nil {
			return badField(key, "must be an integer")
		}
		req.TopK = &k
	case "model":
		if isNull {
			return nil
		}
		var m string
		if json.Unmarshal(raw, &m) != nil {
			return badField(key, "must be a string")
		}
		req.Model = &m
	case "explain":
		if isNull {
			return nil
		}
		var b bool
		if json.Unmarshal(raw, &b) != nil {
			return badField(key, "must be true or false")
		}
		req.Explain = &b
	default:
		return badField(safeFieldName(key), "unknown field; the fields are text, text_pair, texts, text_pairs, top_k, explain and model")
	}
	return nil
}

func stringList(key string, raw json.RawMessage) ([]string, *apiError) {
	var items []json.RawMessage
	if json.Unmarshal(raw, &items) != nil {
		return nil, badField(key, "must be an array of strings")
	}
	list := make([]string, len(items))
	for i, it := range items {
		if json.Unmarshal(it, &list[i]) != nil || string(it) == "null" {
			return nil, badField(key+"["+strconv.Itoa(i)+"]", "must be a string")
		}
	}
	return list, nil
}

func validate(req *DiagnoseRequest, maxTexts int) *apiError {
	switch {
	case req.Text != nil && req.Texts != nil:
		return badField("texts", "give text or texts, not both")
	case req.Text == nil && req.Texts == nil:
		return badField("text", "text (a string) or texts (an array of strings) is required")
	case req.TopK != nil && *req.TopK < 1:
		return badField("top_k", "must be >= 1")
	case req.Explain != nil && *req.Explain && req.Text == nil:
		return badField("explain", "goes with text: explain one note at a time")
	}
	if req.Text != nil {
		if strings.TrimSpace(*req.Text) == "" {
			return badField("text", "must not be empty")
		}
		if req.TextPairs != nil {
			return badField("text_pairs", "goes with texts; use text_pair with text")
		}
		if req.TextPair != nil && strings.TrimSpace(*req.TextPair) == "" {
			return badField("text_pair", "must not be empty when given")
		}
		return nil
	}
	if len(req.Texts) == 0 || len(req.Texts) > maxTexts {
		return badField("texts", fmt.Sprintf("must hold 1 to %d texts, got %d", maxTexts, len(req.Texts)))
	}
	for i, t := range req.Texts {
		if strings.TrimSpace(t) == "" {
			return badField("texts["+strconv.Itoa(i)+"]", "must not be empty")
		}
	}
	if req.TextPair != nil {
		return badField("text_pair", "goes with text; use text_pairs with texts")
	}
	if req.TextPairs != nil {
		if len(req.TextPairs) != len(req.Texts) {
			return badField("text_pairs", fmt.Sprintf("must hold as many entries as texts (%d), got %d", len(req.Texts), len(req.TextPairs)))
		}
		for i, t := range req.TextPairs {
			if strings.TrimSpace(t) == "" {
				return badField("text_pairs["+strconv.Itoa(i)+"]", "must not be empty")
			}
		}
	}
	return nil
}

// syntaxError describes a JSON reading error by position only.
func syntaxError(err error) *apiError {
	var mbe *http.MaxBytesError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &mbe):
		return errTooLarge
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return badField("", "malformed JSON: the body ends early")
	case errors.As(err, &se):
		return badField("", "malformed JSON at byte "+strconv.FormatInt(se.Offset, 10))
	}
	return badField("", "malformed JSON")
}

var fieldNameRE = regexp.MustCompile(`^[A-Za-z0-9_]{1,32}$`)

// safeFieldName returns an unknown key for an error message only when it
// looks like a field name; anything else could be patient text.
func safeFieldName(key string) string {
	if fieldNameRE.MatchString(key) {
		return key
	}
	return "(unnamed)"
}
