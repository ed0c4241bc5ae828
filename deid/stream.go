package deid

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// StreamConfig says how Stream reads and writes rows.
type StreamConfig struct {
	// Format is "jsonl" (one JSON object per line), "csv" (with a header
	// row) or "txt" (each line is one document).
	Format string
	// Fields are the JSONL keys or CSV columns to de-identify; default
	// ["text"]. Every other field is copied unchanged, in its order.
	Fields []string
	// PatientField names a field whose value groups rows into patients for
	// date shifting; empty: every row shares one shift.
	PatientField string
	// Spans adds the detected spans to each row: JSONL key "phi" (an array
	// for one field, an object keyed by field for several), CSV column
	// "phi" (the same JSON). Offsets are code points of the original text.
	Spans bool
	// Replacer detects and replaces; required.
	Replacer *Replacer
	// Review, when set, receives every de-identified document (original
	// text and spans) for the audit page.
	Review *Review
	// Progress, when set, is called after each batch of rows with the
	// rows and input bytes done so far.
	Progress func(rows int, bytes int64)
	// Workers de-identify batches of lines in parallel (JSONL and txt;
	// output order is kept); default GOMAXPROCS.
	Workers int
	// MaxLineBytes bounds one input line (JSONL, txt); default 64 MiB.
	MaxLineBytes int
}

// Report counts what Stream did; it never holds PHI values.
type Report struct {
	Rows   int          `json:"rows"`
	Spans  int          `json:"spans"`
	ByType map[Type]int `json:"by_type"`
	// RowsWithPHI counts rows in which at least one span was found.
	RowsWithPHI int `json:"rows_with_phi"`
}

func (rep *Report) count(spans []Span) {
	for _, s := range spans {
		rep.ByType[s.Type]++
	}
	rep.Spans += len(spans)
}

// Stream de-identifies rows from r to w with bounded memory (one row at a
// time). Errors name the line and never quote its text.
func Stream(r io.Reader, w io.Writer, cfg StreamConfig) (Report, error) {
	rep := Report{ByType: map[Type]int{}}
	if cfg.Replacer == nil {
		return rep, errors.New("deid: StreamConfig.Replacer is nil")
	}
	if len(cfg.Fields) == 0 {
		cfg.Fields = []string{"text"}
	}
	if cfg.MaxLineBytes <= 0 {
		cfg.MaxLineBytes = 64 << 20
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	var err error
	switch cfg.Format {
	case "", "jsonl":
		err = streamJSONL(r, bw, &cfg, &rep)
	case "csv":
		err = streamCSV(r, bw, &cfg, &rep)
	case "txt":
		if cfg.Spans {
			return rep, errors.New("deid: spans need a structured format (jsonl or csv), not txt")
		}
		err = streamTxt(r, bw, &cfg, &rep)
	default:
		return rep, fmt.Errorf("deid: unknown format %q (want jsonl, csv or txt)", cfg.Format)
	}
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	return rep, err
}

// lineReader reads lines of at most max bytes.
type lineReader struct {
	br    *bufio.Reader
	max   int
	line  int
	bytes int64
	buf   []byte
}

func (lr *lineReader) next() ([]byte, error) {
	lr.buf = lr.buf[:0]
	for {
		chunk, err := lr.br.ReadSlice('\n')
		lr.buf = append(lr.buf, chunk...)
		if len(lr.buf) > lr.max {
			return nil, fmt.Errorf("line %d: longer than %d bytes", lr.line+1, lr.max)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF && len(lr.buf) == 0 {
			return nil, io.EOF
		}
		if err != nil && err != io.EOF {
			return nil, fmt.Errorf("line %d: %w", lr.line+1, err)
		}
		lr.line++
		lr.bytes += int64(len(lr.buf))
		return bytes.TrimRight(lr.buf, "\r\n"), nil
	}
}

func (cfg *StreamConfig) tick(rows int, n int64) {
	if cfg.Progress != nil {
		cfg.Progress(rows, n)
	}
}

func streamTxt(r io.Reader, w *bufio.Writer, cfg *StreamConfig, rep *Report) error {
	lr := &lineReader{br: bufio.NewReaderSize(r, 256<<10), max: cfg.MaxLineBytes}
	return runLines(lr, w, cfg, rep, func(line []byte, n int, o *lineOut) {
		text := string(line)
		out, spans := cfg.Replacer.Redact(text, "")
		o.doc(cfg, fmt.Sprintf("line %d", n), text, spans)
		o.rows = 1
		if len(spans) > 0 {
			o.withPHI = 1
		}
		o.buf = append(append(o.buf, out...), '\n')
	})
}

// jsonField is one key of a JSON object, kept in input order.
type jsonField struct {
	key string
	raw json.RawMessage
}

func streamJSONL(r io.Reader, w *bufio.Writer, cfg *StreamConfig, rep *Report) error {
	lr := &lineReader{br: bufio.NewReaderSize(r, 256<<10), max: cfg.MaxLineBytes}
	return runLines(lr, w, cfg, rep, func(line []byte, n int, o *lineOut) {
		if len(bytes.TrimSpace(line)) == 0 {
			return
		}
		fields, err := parseObject(line, nil)
		if err != nil {
			o.err = fmt.Errorf("line %d: %v", n, err)
			return
		}
		patient := ""
		if cfg.PatientField != "" {
			for _, f := range fields {
				if f.key == cfg.PatientField {
					patient = string(bytes.Trim(f.raw, `"`))
				}
			}
		}
		perField := map[string][]Span{}
		for i, f := range fields {
			if !contains(cfg.Fields, f.key) || len(f.raw) == 0 || f.raw[0] != '"' {
				continue
			}
			var text string
			if err := json.Unmarshal(f.raw, &text); err != nil {
				o.err = fmt.Errorf("line %d: field %q: not a JSON string", n, f.key)
				return
			}
			out, spans := cfg.Replacer.Redact(text, patient)
			o.doc(cfg, fmt.Sprintf("line %d %s", n, f.key), text, spans)
			perField[f.key] = spans
			fields[i].raw = marshalString(out)
		}
		o.rows = 1
		for _, s := range perField {
			if len(s) > 0 {
				o.withPHI = 1
				break
			}
		}
		if cfg.Spans {
			// An input "phi" key is replaced, not duplicated.
			kept := fields[:0]
			for _, f := range fields {
				if f.key != "phi" {
					kept = append(kept, f)
				}
			}
			fields = append(kept, jsonField{key: "phi", raw: spansJSON(cfg.Fields, perField)})
		}
		o.buf = appendObject(o.buf, fields)
	})
}

// parseObject reads a JSON object into its fields, in order, without
// decoding the values.
func parseObject(line []byte, out []jsonField) ([]jsonField, error) {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return nil, errors.New("not a JSON object")
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, syntaxErr(err)
		}
		key, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, syntaxErr(err)
		}
		out = append(out, jsonField{key: key, raw: raw})
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return nil, errors.New("unterminated JSON object")
	}
	if dec.More() {
		return nil, errors.New("text after the JSON object")
	}
	return out, nil
}

// syntaxErr keeps the byte offset of a JSON error but not the input bytes
// that the decoder's message may quote.
func syntaxErr(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("invalid JSON at byte %d", se.Offset)
	}
	return errors.New("invalid JSON")
}

func marshalString(s string) json.RawMessage {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(s) // a string always encodes
	return bytes.TrimRight(b.Bytes(), "\n")
}

func spansJSON(fields []string, per map[string][]Span) json.RawMessage {
	norm := func(s []Span) []Span {
		if s == nil {
			return []Span{}
		}
		return s
	}
	var v any
	if len(fields) == 1 {
		v = norm(per[fields[0]])
	} else {
		m := map[string][]Span{}
		for _, f := range fields {
			if s, ok := per[f]; ok {
				m[f] = norm(s)
			}
		}
		v = m
	}
	b, _ := json.Marshal(v) // spans and maps of spans always marshal
	return b
}

func appendObject(b []byte, fields []jsonField) []byte {
	b = append(b, '{')
	for i, f := range fields {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, marshalString(f.key)...)
		b = append(b, ':')
		b = append(b, f.raw...)
	}
	return append(b, "}\n"...)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func streamCSV(r io.Reader, w *bufio.Writer, cfg *StreamConfig, rep *Report) error {
	cr := csv.NewReader(bufio.NewReaderSize(r, 256<<10))
	cr.ReuseRecord = true
	cw := csv.NewWriter(w)
	header, err := cr.Read()
	if err == io.EOF {
		return nil
	}
	if err != nil {
		return csvErr(err)
	}
	header = append([]string(nil), header...)
	var cols []int
	patientCol := -1
	for i, h := range header {
		if contains(cfg.Fields, h) {
			cols = append(cols, i)
		}
		if h == cfg.PatientField && h != "" {
			patientCol = i
		}
	}
	if len(cols) == 0 {
		return fmt.Errorf("csv header has none of the columns %s", strings.Join(cfg.Fields, ","))
	}
	outHeader := header
	if cfg.Spans {
		outHeader = append(append([]string(nil), header...), "phi")
	}
	if err := cw.Write(outHeader); err != nil {
		return err
	}
	var out []string
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return csvErr(err)
		}
		patient := ""
		if patientCol >= 0 {
			patient = rec[patientCol]
		}
		line, _ := cr.FieldPos(0)
		perField := map[string][]Span{}
		out = append(out[:0], rec...)
		for _, c := range cols {
			text, spans := cfg.Replacer.Redact(rec[c], patient)
			cfg.Review.add(fmt.Sprintf("line %d %s", line, header[c]), rec[c], spans)
			perField[header[c]] = spans
			rep.count(spans)
			out[c] = text
		}
		rep.Rows++
		for _, s := range perField {
			if len(s) > 0 {
				rep.RowsWithPHI++
				break
			}
		}
		if cfg.Spans {
			out = append(out, string(spansJSON(cfg.Fields, perField)))
		}
		if err := cw.Write(out); err != nil {
			return err
		}
		if rep.Rows%1000 == 0 {
			cfg.tick(rep.Rows, cr.InputOffset())
		}
	}
	cw.Flush()
	return cw.Error()
}

// csvErr keeps the position of a CSV error without its text.
func csvErr(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Errorf("csv line %d column %d: %v", pe.Line, pe.Column, pe.Err)
	}
	return err
}
