package data

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// column resolves a field spec against a header: a name, or a 0-based
// index. Names win over indexes so a column literally called "1" works.
// Errors never show the header's cells: when the first row is data they
// are patient text.
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
	if !looksLikeHeader(header) {
		return 0, fmt.Errorf("not found: the first row has %d columns and does not look like a header; "+
			"if the file has none, pass --no-header and give columns by 0-based index", len(header))
	}
	for i, h := range header {
		if strings.EqualFold(strings.TrimSpace(h), spec) {
			return 0, fmt.Errorf("not found: the header has %d columns; column %d differs only in case or spaces", len(header), i)
		}
	}
	return 0, fmt.Errorf("not found: the header has %d columns, none of them named so (names are exact; without a header row pass --no-header)", len(header))
}

// looksLikeHeader: column names are short and hold few spaces; a row of
// notes and labels has at least one long or many-worded cell, or an empty
// one.
func looksLikeHeader(header []string) bool {
	for _, h := range header {
		h = strings.TrimSpace(h)
		if h == "" || len(h) > 40 || strings.Count(h, " ") > 2 {
			return false
		}
	}
	return true
}

// tableCols resolves the text, pair and label columns in that fixed order,
// so the first reported problem of a row is deterministic.
type tableCol struct {
	field string
	idx   int
	dst   func(*Example) *string
}

func tableColumns(name string, header []string, opt Options) ([]tableCol, error) {
	var cols []tableCol
	for _, c := range []tableCol{
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
			return nil, fmt.Errorf("%s:1: column %q: %w", name, c.field, err)
		}
		c.idx = i
		cols = append(cols, c)
	}
	return cols, nil
}

// tableRow turns one record into an example (or a bad-row error).
// header (nil without one) names the fields kept under KeepFields.
func tableRow(rec, header []string, width int, pos Pos, cols []tableCol, opt Options) (Example, *RowError) {
	if len(rec) != width {
		return Example{}, &RowError{pos, "", fmt.Errorf("%d fields, want %d (check quoting and separators)", len(rec), width)}
	}
	ex := Example{Pos: pos}
	for _, c := range cols {
		if c.idx >= len(rec) {
			return Example{}, &RowError{pos, c.field, fmt.Errorf("row has %d fields, no column %d", len(rec), c.idx)}
		}
		*c.dst(&ex) = rec[c.idx]
	}
	if re := finish(&ex, opt); re != nil {
		return Example{}, re
	}
	if opt.KeepFields {
		var skip []int
		for _, c := range cols {
			if c.field == opt.textField() || c.field == opt.TextPairField {
				skip = append(skip, c.idx)
			}
		}
		ex.Fields = tableFields(rec, header, skip)
	}
	return ex, nil
}

// parseTable reads CSV or TSV. Every row must have as many fields as the
// header (or the first row without a header): a different count almost
// always means broken quoting or separators, so it is a bad row rather
// than a guess. TSV is read without quote processing (each line one row)
// unless Options.Quoting asks for CSV quoting.
func parseTable(r io.Reader, name string, sep rune, opt Options) ([]Example, Skipped, error) {
	q := opt.Quoting
	if q == QuotingAuto {
		q = QuotingCSV
		if sep == '\t' {
			q = QuotingNone
		}
	}
	if q == QuotingNone {
		return parsePlainTable(r, name, string(sep), opt)
	}
	return parseQuotedTable(r, name, sep, opt)
}

// parsePlainTable reads a table whose fields are split on sep with no
// quoting: one line, one row. Blank lines are counted, not rows.
func parsePlainTable(r io.Reader, name, sep string, opt Options) ([]Example, Skipped, error) {
	lr := newLineReader(r, opt.maxRow())
	var sk Skipped
	var cols []tableCol
	var header []string
	width := -1
	var out []Example
	for {
		b, tooLong, err := lr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, sk, fmt.Errorf("%s:%d: %w", name, lr.line+1, err)
		}
		sk.Lines++
		pos := Pos{name, lr.line}
		if !tooLong && len(strings.TrimSpace(string(b))) == 0 {
			sk.Blank++
			continue
		}
		if cols == nil {
			if tooLong {
				return nil, sk, &RowError{pos, "", tooLongErr(opt)}
			}
			rec := strings.Split(string(b), sep)
			width = len(rec)
			if !opt.NoHeader {
				header = rec
			}
			if cols, err = tableColumns(name, rec, opt); err != nil {
				return nil, sk, err
			}
			if cols == nil {
				cols = []tableCol{}
			}
			if !opt.NoHeader {
				continue
			}
		}
		var ex Example
		var re *RowError
		if tooLong {
			re = &RowError{pos, "", tooLongErr(opt)}
		} else {
			ex, re = tableRow(strings.Split(string(b), sep), header, width, pos, cols, opt)
		}
		if re != nil {
			if e := sk.bad(opt, re); e != nil {
				return nil, sk, e
			}
			continue
		}
		out = append(out, ex)
	}
	if cols == nil && !opt.NoHeader {
		return nil, sk, fmt.Errorf("%s: empty file (no header)", name)
	}
	sk.Rows = len(out)
	return out, sk, nil
}

// parseQuotedTable reads RFC 4180 CSV (or TSV with CSV quoting). A quoted
// field may hold newlines in CSV; in a TSV a record spanning lines is an
// error, as is any quote that swallows following lines.
func parseQuotedTable(r io.Reader, name string, sep rune, opt Options) ([]Example, Skipped, error) {
	lc := &lineCounter{r: r, limit: opt.maxRow()}
	cr := csv.NewReader(lc)
	cr.Comma = sep
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = false
	var sk Skipped
	fail := func(err error) ([]Example, Skipped, error) {
		sk.Lines = lc.total()
		return nil, sk, err
	}
	// readErr turns a reader error into a row error, or nil to skip.
	readErr := func(err error) error {
		var tl *lineTooLongError
		if errors.As(err, &tl) {
			// The CSV reader cannot resynchronise after it: not skippable.
			return &RowError{Pos{name, tl.line}, "", fmt.Errorf("%v; not skippable in a quoted table", tooLongErr(opt))}
		}
		var pe *csv.ParseError
		if !errors.As(err, &pe) {
			return fmt.Errorf("%s: %w", name, err)
		}
		if pe.Line > pe.StartLine {
			// A quote opened on StartLine swallowed the lines up to
			// pe.Line (often the rest of the file). Skipping it would drop
			// all those rows under one count, so this is an error even
			// with SkipBadRows.
			return &RowError{Pos{name, pe.StartLine}, "", fmt.Errorf(
				"unbalanced quote: this row's quoted field runs on to line %d (column %d: %v); not skippable, it would drop %d lines",
				pe.Line, pe.Column, pe.Err, pe.Line-pe.StartLine+1)}
		}
		return sk.bad(opt, &RowError{Pos{name, pe.StartLine}, "", fmt.Errorf("column %d: %v", pe.Column, pe.Err)})
	}
	var cols []tableCol
	var header []string
	width := -1
	if !opt.NoHeader {
		h, err := cr.Read()
		if err == io.EOF {
			return fail(fmt.Errorf("%s: empty file (no header)", name))
		}
		if err != nil {
			if e := readErr(err); e != nil {
				return fail(e)
			}
			return fail(fmt.Errorf("%s:1: the header row is malformed", name))
		}
		width, header = len(h), h
		if cols, err = tableColumns(name, h, opt); err != nil {
			return fail(err)
		}
	}
	var out []Example
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			if e := readErr(err); e != nil {
				return fail(e)
			}
			continue
		}
		line, _ := cr.FieldPos(0)
		pos := Pos{name, line}
		if sep == '\t' {
			if end, _ := cr.FieldPos(len(rec) - 1); end != line || strings.ContainsAny(strings.Join(rec, ""), "\r\n") {
				return fail(&RowError{pos, "", fmt.Errorf("a quoted field runs on to a later line: TSV rows are one line each (read without --quoting csv to take quotes as text)")})
			}
		}
		if width < 0 {
			width = len(rec)
			if cols, err = tableColumns(name, nil, opt); err != nil {
				return fail(err)
			}
		}
		ex, re := tableRow(rec, header, width, pos, cols, opt)
		if re != nil {
			if e := sk.bad(opt, re); e != nil {
				return fail(e)
			}
			continue
		}
		out = append(out, ex)
	}
	sk.Lines, sk.Blank, sk.Rows = lc.total(), lc.blank, len(out)
	return out, sk, nil
}
