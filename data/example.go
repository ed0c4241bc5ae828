package data

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// Pos is where a row starts in its file, for error messages.
type Pos struct {
	File string
	Line int
}

func (p Pos) String() string { return fmt.Sprintf("%s:%d", p.File, p.Line) }

// Example is one text-classification row. TextPair is the second segment
// of a pair task (PubMedQA: the contexts) and "" for single texts. Label is
// the label as written in the file ("" when the file has none and
// Options.Unlabeled is set).
type Example struct {
	ID       string // optional row id (PubMedQA: the PMID)
	Text     string
	TextPair string
	Label    string
	Pos      Pos
	// Fields are the row's other fields, in file order, when
	// Options.KeepFields is set (prediction pass-through, subgroup audit).
	Fields []Field
}

// Sentence is one token-classification (NER) sentence with one BIO tag per
// token. Tags is nil for untagged input.
type Sentence struct {
	Tokens []string
	Tags   []string
	Pos    Pos // line of the first token
}

// Format names an input format.
type Format string

const (
	FormatAuto     Format = ""         // by file extension
	FormatJSONL    Format = "jsonl"    // one JSON object per line
	FormatCSV      Format = "csv"      // RFC 4180, comma
	FormatTSV      Format = "tsv"      // tab-separated table, one row per line (quotes are data unless Quoting is "csv")
	FormatJSON     Format = "json"     // PubMedQA object keyed by id, or an array of records
	FormatPubMedQA Format = "pubmedqa" // alias of json, for clarity on the command line
	FormatCoNLL    Format = "conll"    // token<TAB>tag lines, blank line between sentences
)

// ParseFormat checks a --format value.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(s)); f {
	case FormatAuto, FormatJSONL, FormatCSV, FormatTSV, FormatJSON, FormatCoNLL:
		return f, nil
	case FormatPubMedQA:
		return FormatJSON, nil
	case "ndjson":
		return FormatJSONL, nil
	}
	return "", fmt.Errorf("unknown data format %q (want jsonl, csv, tsv, json/pubmedqa or conll)", s)
}

// Options configure the readers. The zero value reads a labelled file
// with fields "text" and "label", by extension, normalising whitespace and
// stopping at the first bad row.
type Options struct {
	Format Format
	// TextField, TextPairField and LabelField name the JSON keys or CSV/TSV
	// columns. For CSV/TSV a column can also be given by 0-based index
	// ("0", "2"); with NoHeader it must be. Defaults: "text", none, "label".
	TextField, TextPairField, LabelField string
	// NoHeader says the CSV/TSV file's first line is data.
	NoHeader bool
	// Unlabeled accepts rows without a label (prediction input).
	Unlabeled bool
	// SkipBadRows skips and counts malformed rows instead of failing.
	SkipBadRows bool
	// KeepWhitespace disables NormalizeSpace on text fields.
	KeepWhitespace bool
	// Quoting selects how CSV/TSV fields are quoted: QuotingCSV (RFC 4180
	// quotes, the default for CSV) or QuotingNone (quotes are ordinary
	// characters and every line is one row, the default for TSV: NER and
	// clinical TSV files hold lone `"` tokens that a CSV reader would take
	// for an opening quote, swallowing the lines after it).
	Quoting Quoting
	// KeepFields keeps every field or column of a JSONL/JSON/CSV/TSV row
	// other than the text and text-pair ones in Example.Fields.
	KeepFields bool
	// MaxRowBytes bounds one line (a JSONL row, a CSV/TSV line, a CoNLL
	// line) or one JSON record; 0 means DefaultMaxRowBytes. A longer row is
	// a bad row naming its line and the limit, read in bounded memory.
	MaxRowBytes int
}

// DefaultMaxRowBytes is the default Options.MaxRowBytes. The longest
// clinical notes (discharge summaries) are tens of KB; a model reads at
// most 512 tokens (~2 KB) of a text.
const DefaultMaxRowBytes = 2 << 20

func (o Options) maxRow() int {
	if o.MaxRowBytes > 0 {
		return o.MaxRowBytes
	}
	return DefaultMaxRowBytes
}

// Quoting is how a table's fields are quoted (Options.Quoting).
type Quoting string

const (
	QuotingAuto Quoting = ""     // csv for CSV, none for TSV
	QuotingNone Quoting = "none" // quotes are data; one row per line
	QuotingCSV  Quoting = "csv"  // RFC 4180 quoting (fields may span lines)
)

// ParseQuoting checks a --quoting value.
func ParseQuoting(s string) (Quoting, error) {
	switch q := Quoting(strings.ToLower(s)); q {
	case QuotingAuto, QuotingNone, QuotingCSV:
		return q, nil
	}
	return "", fmt.Errorf("unknown quoting %q (want none or csv)", s)
}

func (o Options) textField() string  { return def(o.TextField, "text") }
func (o Options) labelField() string { return def(o.LabelField, "label") }

func def(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// RowError is a malformed row: file, line, and the field at fault.
type RowError struct {
	Pos   Pos
	Field string // "" when the row as a whole is bad
	Err   error
}

func (e *RowError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("%s: %v", e.Pos, e.Err)
	}
	return fmt.Sprintf("%s: field %q: %v", e.Pos, e.Field, e.Err)
}

func (e *RowError) Unwrap() error { return e.Err }

// maxKept bounds how many skipped-row errors are kept for display.
const maxKept = 20

// Skipped counts rows skipped under Options.SkipBadRows and keeps the
// first few reasons. It also accounts for every line read, so a caller
// can show that nothing was lost: Lines in, Rows out, Count skipped,
// Blank ignored (and, for CSV/TSV, one header line).
type Skipped struct {
	Count int
	First []*RowError
	Lines int // lines read
	Rows  int // examples (or sentences) returned
	Blank int // blank lines ignored (CoNLL: sentence separators and -DOCSTART-)
}

// Summary is a one-line account of a read: lines in, rows out, skipped
// and blank lines, e.g. for --skip-bad-rows to print.
func (s Skipped) Summary() string {
	msg := fmt.Sprintf("read %s: %s", plural(s.Lines, "line"), plural(s.Rows, "row"))
	if s.Count > 0 {
		msg += fmt.Sprintf(", %s skipped", plural(s.Count, "bad row"))
	}
	if s.Blank > 0 {
		msg += ", " + plural(s.Blank, "blank line")
	}
	return msg
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

func (s Skipped) String() string {
	if s.Count == 0 {
		return "no rows skipped"
	}
	msg := fmt.Sprintf("skipped %d bad row(s)", s.Count)
	if len(s.First) > 0 {
		msg += "; first: " + s.First[0].Error()
	}
	return msg
}

// bad handles a row error: skip and count, or stop.
func (s *Skipped) bad(opt Options, e *RowError) error {
	if !opt.SkipBadRows {
		return e
	}
	s.Count++
	if len(s.First) < maxKept {
		s.First = append(s.First, e)
	}
	return nil
}

// formatFor picks the format from the option or the file name, looking
// through a .gz suffix. ner selects CoNLL for .tsv/.txt (NER files are
// token<TAB>tag tables, which the table reader would misread).
func formatFor(path string, f Format, ner bool) (Format, error) {
	if f != FormatAuto {
		return ParseFormat(string(f))
	}
	name := strings.TrimSuffix(strings.ToLower(path), ".gz")
	switch ext := filepath.Ext(name); ext {
	case ".jsonl", ".ndjson":
		return FormatJSONL, nil
	case ".csv":
		return FormatCSV, nil
	case ".tsv", ".txt", ".conll", ".bio", ".iob":
		if ner || ext != ".tsv" {
			return FormatCoNLL, nil
		}
		return FormatTSV, nil
	case ".json":
		return FormatJSON, nil
	default:
		return "", fmt.Errorf("%s: cannot tell the format from extension %q; pass a format (jsonl, csv, tsv, json, conll)", path, ext)
	}
}

// openData opens path, transparently gunzipping *.gz, and strips a UTF-8
// byte-order mark (Excel writes one in front of CSV headers).
func openData(path string) (io.Reader, func() error, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	var r io.Reader = f
	closeFn := f.Close
	if strings.HasSuffix(strings.ToLower(path), ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("%s: %w", path, err)
		}
		r = zr
	}
	br := bufio.NewReaderSize(r, 1<<16)
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte("\xef\xbb\xbf")) {
		br.Discard(3)
	}
	return br, closeFn, nil
}

// ReadExamples reads a text-classification file (JSONL, CSV, TSV or JSON by
// extension, .gz allowed) into examples in file order.
func ReadExamples(path string, opt Options) ([]Example, Skipped, error) {
	f, err := formatFor(path, opt.Format, false)
	if err != nil {
		return nil, Skipped{}, err
	}
	if f == FormatCoNLL {
		// A user-facing message: the CLI passes this through unchanged.
		return nil, Skipped{}, fmt.Errorf("%s: read as a CoNLL token/tag file (by its extension or format), which text classification cannot use; "+
			"for NER train with --task ner; for one text and label per row name the format (--format tsv, csv, jsonl or json)", path)
	}
	r, closeFn, err := openData(path)
	if err != nil {
		return nil, Skipped{}, err
	}
	defer closeFn()
	opt.Format = f
	return ParseExamples(r, path, opt)
}

// ParseExamples reads examples from r; name is used in error positions.
// opt.Format must be set (not FormatAuto).
func ParseExamples(r io.Reader, name string, opt Options) ([]Example, Skipped, error) {
	switch opt.Format {
	case FormatJSONL:
		return parseJSONL(r, name, opt)
	case FormatCSV, FormatTSV:
		br := bufReader(r)
		if looksCoNLL(br) {
			return nil, Skipped{}, fmt.Errorf("%s:1: this looks like a CoNLL token/tag file (one token and a BIO tag per line, blank lines between sentences), "+
				"which text classification cannot use: for NER use --task ner (or --format conll)", name)
		}
		sep := ','
		if opt.Format == FormatTSV {
			sep = '\t'
		}
		return parseTable(br, name, sep, opt)
	case FormatJSON, FormatPubMedQA:
		return parseJSON(r, name, opt)
	}
	return nil, Skipped{}, fmt.Errorf("%s: format %q does not hold classification examples", name, opt.Format)
}

var (
	errMissing = errors.New("missing")
	errEmpty   = errors.New("empty")
)

// errInvalidUTF8 says where in a field the first invalid byte is (never
// what the field holds).
func errInvalidUTF8(s, what string) error {
	i := 0
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			break
		}
		i += size
	}
	return fmt.Errorf("not valid UTF-8 (first invalid byte at offset %d of the %s): re-save the file as UTF-8", i, what)
}

// finish normalises an example's text and checks required fields; it
// returns a RowError for the first problem.
func finish(ex *Example, opt Options) *RowError {
	for _, f := range []struct {
		name, v string
	}{{opt.textField(), ex.Text}, {opt.TextPairField, ex.TextPair}, {opt.labelField(), ex.Label}} {
		if !utf8.ValidString(f.v) {
			return &RowError{ex.Pos, f.name, errInvalidUTF8(f.v, "field")}
		}
	}
	if !opt.KeepWhitespace {
		ex.Text = NormalizeSpace(ex.Text)
		ex.TextPair = NormalizeSpace(ex.TextPair)
	}
	ex.Label = strings.TrimSpace(ex.Label)
	if strings.TrimSpace(ex.Text) == "" {
		return &RowError{ex.Pos, opt.textField(), errEmpty}
	}
	if opt.TextPairField != "" && strings.TrimSpace(ex.TextPair) == "" {
		return &RowError{ex.Pos, opt.TextPairField, errEmpty}
	}
	if ex.Label == "" && !opt.Unlabeled {
		return &RowError{ex.Pos, opt.labelField(), errEmpty}
	}
	return nil
}
