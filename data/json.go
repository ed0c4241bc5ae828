package data

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// parseJSON reads a whole-file JSON document: either the PubMedQA layout
// (an object keyed by PMID, see parsePubMedQA) or an array of records with
// the configured fields (what pandas' to_json(orient="records") writes).
func parseJSON(r io.Reader, name string, opt Options) ([]Example, Skipped, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, Skipped{}, fmt.Errorf("%s: %w", name, err)
	}
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	switch {
	case len(trimmed) > 0 && trimmed[0] == '{':
		return parsePubMedQA(data, name, opt)
	case len(trimmed) > 0 && trimmed[0] == '[':
		return parseRecords(data, name, opt)
	}
	return nil, Skipped{}, fmt.Errorf("%s:1: want a JSON object (PubMedQA) or an array of records", name)
}

// lineAt is the 1-based line of byte offset off.
func lineAt(data []byte, off int64) int {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	return 1 + bytes.Count(data[:off], []byte("\n"))
}

// syntaxErr turns a decoder error into a file:line error. Invalid JSON in
// a whole-file document cannot be skipped: where the next record starts is
// unknown.
func syntaxErr(data []byte, name string, dec *json.Decoder, err error) error {
	off := dec.InputOffset()
	var se *json.SyntaxError
	if errors.As(err, &se) {
		off = se.Offset
	}
	return fmt.Errorf("%s:%d: invalid JSON: %s", name, lineAt(data, off), jsonErrText(err))
}

// skipSpace returns the offset of the next token after off.
func skipSpace(data []byte, off int64) int64 {
	for off < int64(len(data)) && strings.IndexByte(" \t\r\n,:", data[off]) >= 0 {
		off++
	}
	return off
}

func parseRecords(data []byte, name string, opt Options) ([]Example, Skipped, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	sk := Skipped{Lines: lineAt(data, int64(len(bytes.TrimRight(data, "\n"))))}
	var kinds labelKinds
	if _, err := dec.Token(); err != nil { // '['
		return nil, sk, syntaxErr(data, name, dec, err)
	}
	var out []Example
	for dec.More() {
		line := lineAt(data, skipSpace(data, dec.InputOffset()))
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, sk, syntaxErr(data, name, dec, err)
		}
		var ex Example
		var re *RowError
		if len(raw) > opt.maxRow() {
			re = &RowError{Pos{name, line}, "", tooLongErr(opt)}
		} else {
			ex, re = record(raw, Pos{name, line}, opt, &kinds)
		}
		if re != nil {
			if e := sk.bad(opt, re); e != nil {
				return nil, sk, e
			}
			continue
		}
		out = append(out, ex)
	}
	sk.Rows = len(out)
	return out, sk, nil
}

// pubmedQA is one PQA-L instance. LONG_ANSWER (the abstract's conclusion)
// is deliberately not read: the standard "reasoning-required" setting hides
// it from the model.
type pubmedQA struct {
	Question      *string  `json:"QUESTION"`
	Contexts      []string `json:"CONTEXTS"`
	FinalDecision *string  `json:"final_decision"`
}

// parsePubMedQA reads ori_pqal.json: {pmid: {QUESTION, CONTEXTS[],
// final_decision}} → pair input (question, contexts joined by a space),
// label yes/no/maybe, ID = PMID, in file order.
func parsePubMedQA(data []byte, name string, opt Options) ([]Example, Skipped, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	sk := Skipped{Lines: lineAt(data, int64(len(bytes.TrimRight(data, "\n"))))}
	if _, err := dec.Token(); err != nil { // '{'
		return nil, sk, syntaxErr(data, name, dec, err)
	}
	popt := opt
	popt.TextField, popt.TextPairField, popt.LabelField = "QUESTION", "CONTEXTS", "final_decision"
	var out []Example
	for dec.More() {
		line := lineAt(data, skipSpace(data, dec.InputOffset()))
		tok, err := dec.Token()
		if err != nil {
			return nil, sk, syntaxErr(data, name, dec, err)
		}
		id, _ := tok.(string)
		pos := Pos{name, line}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, sk, syntaxErr(data, name, dec, err)
		}
		var ex Example
		var re *RowError
		if len(raw) > opt.maxRow() {
			re = &RowError{pos, "", tooLongErr(opt)}
		} else {
			ex, re = pubmedQAExample(raw, id, pos, popt)
		}
		if re != nil {
			if e := sk.bad(opt, re); e != nil {
				return nil, sk, e
			}
			continue
		}
		out = append(out, ex)
	}
	sk.Rows = len(out)
	return out, sk, nil
}

// pubmedQAExample decodes one entry. Errors name the field, never its
// value or the entry's id.
func pubmedQAExample(raw json.RawMessage, id string, pos Pos, opt Options) (Example, *RowError) {
	if !utf8.Valid(raw) {
		return Example{}, &RowError{pos, "", errInvalidUTF8(string(raw), "entry")}
	}
	var q pubmedQA
	if err := json.Unmarshal(raw, &q); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return Example{}, &RowError{pos, te.Field, fmt.Errorf("want %s, got a JSON %s", te.Type, strings.Fields(te.Value + " ?")[0])}
		}
		return Example{}, &RowError{pos, "", fmt.Errorf("PubMedQA entry is not an object of QUESTION, CONTEXTS and final_decision")}
	}
	if q.Question == nil {
		return Example{}, &RowError{pos, "QUESTION", errMissing}
	}
	if len(q.Contexts) == 0 {
		return Example{}, &RowError{pos, "CONTEXTS", errMissing}
	}
	ex := Example{ID: id, Text: *q.Question, TextPair: strings.Join(q.Contexts, " "), Pos: pos}
	if q.FinalDecision != nil {
		ex.Label = strings.ToLower(strings.TrimSpace(*q.FinalDecision))
		switch ex.Label {
		case "yes", "no", "maybe":
		default:
			return Example{}, &RowError{pos, "final_decision", fmt.Errorf("not yes, no or maybe")}
		}
	}
	if re := finish(&ex, opt); re != nil {
		return Example{}, re
	}
	return ex, nil
}
