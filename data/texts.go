package data

import (
	"fmt"
	"io"
	"unicode/utf8"
)

// ScanTexts streams one text per line from r (prediction input on stdin)
// to fn, in order, without waiting for the end of the input. Blank lines
// are skipped and counted in Skipped.Blank. A line longer than
// opt.MaxRowBytes (read in bounded memory) or not valid UTF-8 is a
// *RowError naming name:line and the limit, never the text; with
// opt.SkipBadRows it is skipped and counted instead. Texts are passed as
// written (no whitespace normalisation: offsets refer to the line). An
// error from fn stops the scan and is returned as is.
func ScanTexts(r io.Reader, name string, opt Options, fn func(Example) error) (Skipped, error) {
	lr := newLineReader(r, opt.maxRow())
	var sk Skipped
	for {
		b, tooLong, err := lr.next()
		if err == io.EOF {
			return sk, nil
		}
		if err != nil {
			return sk, fmt.Errorf("%s:%d: %w", name, lr.line+1, err)
		}
		sk.Lines++
		pos := Pos{name, lr.line}
		var re *RowError
		switch {
		case tooLong:
			re = &RowError{pos, "", tooLongErr(opt)}
		case !utf8.Valid(b):
			re = &RowError{pos, "", errInvalidUTF8(string(b), "line")}
		case isBlank(b):
			sk.Blank++
			continue
		}
		if re != nil {
			if e := sk.bad(opt, re); e != nil {
				return sk, e
			}
			continue
		}
		sk.Rows++
		if err := fn(Example{Text: string(b), Pos: pos}); err != nil {
			return sk, err
		}
	}
}

func isBlank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' && c != '\v' && c != '\f' {
			return false
		}
	}
	return true
}
