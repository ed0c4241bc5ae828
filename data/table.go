package data

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// column resolves a field spec against a header: a name, or a 0-based
// index. Names win over indexes so a column literally called "1" works.
func column(spec string, header []string, noHeader bool) (int, error) {
	if !noHeader {
		for i, h := range header {
			if h == spec {
				return i, nil
			}
		}
	}
	if i, err := strconv.Atoi(spec); err == nil && i >= 0 {
		if !noHeader && i >= len(header) {
			return 0, fmt.Errorf("column index %d but the header has %d columns", i, len(header))
		}
		return i, nil
	}
	if noHeader {
		return 0, fmt.Errorf("no header: give the column as a 0-based index")
	}
	return 0, fmt.Errorf("no such column (header: %q)", header)
}

// parseTable reads CSV (RFC 4180) or TSV. Every row must have as many
// fields as the header (or the first row without a header): a different
// count almost always means broken quoting, so it is a bad row rather than
// a guess. TSV tolerates bare quotes inside fields (clinical text has
// them and TSV writers rarely quote), CSV does not.
func parseTable(r io.Reader, name string, sep rune, opt Options) ([]Example, Skipped, error) {
	cr := csv.NewReader(r)
	cr.Comma = sep
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = sep == '\t'
	cr.ReuseRecord = false
	var sk Skipped

	var header []string
	width := -1
	if !opt.NoHeader {
		h, err := cr.Read()
		if err == io.EOF {
			return nil, sk, fmt.Errorf("%s: empty file (no header)", name)
		}
		if err != nil {
			return nil, sk, fmt.Errorf("%s: header: %w", name, err)
		}
		header = h
		width = len(h)
	}
	// Resolve columns in a fixed order (text, pair, label) so the first
	// reported problem of a row is deterministic.
	type col struct {
		field string
		idx   int
		dst   func(*Example) *string
	}
	var cols []col
	for _, c := range []col{
		{opt.textField(), 0, func(e *Example) *string { return &e.Text }},
		{opt.TextPairField, 0, func(e *Example) *string { return &e.TextPair }},
		{opt.labelField(), 0, func(e *Example) *string { return &e.Label }},
	} {
		if c.field == "" {
			continue
		}
		i, err := column(c.field, header, opt.NoHeader)
		if err != nil {
			if c.field == opt.labelField() && opt.Unlabeled {
				continue // prediction input without a label column
			}
			return nil, sk, fmt.Errorf("%s:1: column %q: %w", name, c.field, err)
		}
		c.idx = i
		cols = append(cols, c)
	}

	var out []Example
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return out, sk, nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				if pe.Line > pe.StartLine {
					// A quote opened on StartLine swallowed the lines up to
					// pe.Line (often the rest of the file). Skipping it
					// would drop all those rows under one count, so this
					// is an error even with SkipBadRows.
					return nil, sk, &RowError{Pos{name, pe.StartLine}, "", fmt.Errorf(
						"unbalanced quote: this row's quoted field runs on to line %d (column %d: %v); not skippable, it would drop %d lines",
						pe.Line, pe.Column, pe.Err, pe.Line-pe.StartLine+1)}
				}
				re := &RowError{Pos{name, pe.StartLine}, "", fmt.Errorf("column %d: %v", pe.Column, pe.Err)}
				if e := sk.bad(opt, re); e != nil {
					return nil, sk, e
				}
				continue
			}
			return nil, sk, fmt.Errorf("%s: %w", name, err)
		}
		line, _ := cr.FieldPos(0)
		pos := Pos{name, line}
		if width < 0 {
			width = len(rec)
		}
		if len(rec) != width {
			re := &RowError{pos, "", fmt.Errorf("%d fields, want %d (check quoting)", len(rec), width)}
			if e := sk.bad(opt, re); e != nil {
				return nil, sk, e
			}
			continue
		}
		ex := Example{Pos: pos}
		var re *RowError
		for _, c := range cols {
			if c.idx >= len(rec) {
				re = &RowError{pos, c.field, fmt.Errorf("row has %d fields, no column %d", len(rec), c.idx)}
				break
			}
			*c.dst(&ex) = rec[c.idx]
		}
		if re == nil {
			re = finish(&ex, opt)
		}
		if re != nil {
			if e := sk.bad(opt, re); e != nil {
				return nil, sk, e
			}
			continue
		}
		out = append(out, ex)
	}
}
