package data

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// A TSV classification table with a lone `"` as a text: TSV is not CSV,
// so the quote is data and every line becomes a row (the CSV reading
// swallowed the lines after it).
func TestTSVLoneQuoteReadsEveryLine(t *testing.T) {
	in := "Familial\tdisease\n\"\tpunct\ncancer\tdisease\nof\tother\n\"the\ttoken\nlast\trow\n"
	opt := Options{Format: FormatTSV, NoHeader: true, TextField: "0", LabelField: "1", KeepWhitespace: true}
	ex, sk, err := ParseExamples(strings.NewReader(in), "ncbi.tsv", opt)
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, e := range ex {
		texts = append(texts, e.Text)
	}
	if want := []string{"Familial", `"`, "cancer", "of", `"the`, "last"}; strings.Join(texts, "|") != strings.Join(want, "|") {
		t.Errorf("texts %q, want %q", texts, want)
	}
	if ex[2].Pos.Line != 3 || ex[5].Pos.Line != 6 {
		t.Errorf("positions %v %v", ex[2].Pos, ex[5].Pos)
	}
	if sk.Lines != 6 || sk.Rows != 6 || sk.Count != 0 {
		t.Errorf("counts %+v, want 6 lines in, 6 rows out", sk)
	}
	// Quoting on request: CSV rules inside a tab-separated file.
	opt.Quoting = QuotingCSV
	ex, _, err = ParseExamples(strings.NewReader("\"a\tb\"\tx\nc\ty\n"), "q.tsv", opt)
	if err != nil || len(ex) != 2 || ex[0].Text != "a\tb" {
		t.Errorf("--quoting csv: %+v %v", ex, err)
	}
	// With quoting asked for, a record spanning lines in a TSV is an error
	// naming its line, even when skipping bad rows.
	for _, skip := range []bool{false, true} {
		opt.SkipBadRows = skip
		_, _, err = ParseExamples(strings.NewReader("a\tx\n\"open\ty\nb\tz\nc\"\tw\n"), "q.tsv", opt)
		if err == nil || !strings.Contains(err.Error(), "q.tsv:2") {
			t.Errorf("skip=%v: record spanning lines: %v", skip, err)
		}
	}
	if _, err := ParseQuoting("excel"); err == nil {
		t.Error("ParseQuoting accepted excel")
	}
}

// A CoNLL file given to a classification reader is recognised and refused
// with the suggestion to read it as NER.
func TestCoNLLRefusedForClassification(t *testing.T) {
	path := td + "ncbi_small.tsv"
	_, _, err := ReadExamples(path, Options{NoHeader: true, TextField: "0", LabelField: "1"})
	if err == nil || !strings.Contains(err.Error(), "CoNLL") || !strings.Contains(err.Error(), "--task ner") || !strings.Contains(err.Error(), "--format conll") {
		t.Fatalf("err = %v", err)
	}
	// ... also under another extension and with a header expectation.
	b, _ := os.ReadFile(path)
	_, _, err = ParseExamples(bytes.NewReader(b), "x.csv", Options{Format: FormatTSV})
	if err == nil || !strings.Contains(err.Error(), "CoNLL") {
		t.Fatalf("err = %v", err)
	}
	// A two-column label table whose labels happen to be O is not CoNLL.
	_, _, err = ParseExamples(strings.NewReader("text\tlabel\nchest pain\tO\nfever\tO\n"), "t.tsv", Options{Format: FormatTSV})
	if err != nil {
		t.Errorf("label table refused: %v", err)
	}
}

// allocDuring reports the bytes allocated while fn runs.
func allocDuring(fn func()) uint64 {
	var a, b runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&a)
	fn()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

// A 50 MB line is refused (or skipped) with file:line and the limit, in
// memory that does not grow with the line, by every line reader.
func TestRowSizeLimit(t *testing.T) {
	huge := strings.Repeat("x", 50<<20)
	dir := t.TempDir()
	files := map[string]string{
		"a.jsonl": `{"text": "ok", "label": "a"}` + "\n" + `{"text": "` + huge + `", "label": "a"}` + "\n" + `{"text": "fine", "label": "b"}` + "\n",
		"a.tsv":   "text\tlabel\nok\ta\n" + huge + "\ta\nfine\tb\n",
		"a.csv":   "text,label\nok,a\n" + huge + ",a\nfine,b\n",
		"a.conll": "ok\tO\n\n" + huge + "\tO\n\nfine\tO\n",
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	files = nil
	read := func(p string, opt Options) (int, Skipped, error) {
		if strings.HasSuffix(p, ".conll") {
			s, sk, err := ReadSentences(p, opt)
			return len(s), sk, err
		}
		ex, sk, err := ReadExamples(p, opt)
		return len(ex), sk, err
	}
	for _, name := range []string{"a.jsonl", "a.tsv", "a.csv", "a.conll"} {
		p := filepath.Join(dir, name)
		line := 2
		if name == "a.tsv" || name == "a.csv" || name == "a.conll" {
			line = 3
		}
		var err error
		grew := allocDuring(func() { _, _, err = read(p, Options{}) })
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%s:%d", p, line)) || !strings.Contains(err.Error(), "limit") {
			t.Errorf("%s: err = %v, want %s:%d and the limit", name, err, p, line)
		} else if len(err.Error()) > 300 {
			t.Errorf("%s: error of %d bytes", name, len(err.Error()))
		}
		// The line readers buffer at most one row of the limit; the CSV
		// reader grows its buffers by 1.25x up to it (~7x the limit in
		// all). Either way independent of the 50 MB line.
		if grew > 8*DefaultMaxRowBytes {
			t.Errorf("%s: reading a file with a 50 MB line allocated %d bytes", name, grew)
		}
		if name == "a.csv" {
			continue // a CSV record cannot be resynchronised: not skippable
		}
		n, sk, err := read(p, Options{SkipBadRows: true})
		if err != nil || n != 2 || sk.Count != 1 {
			t.Errorf("%s skipping: %d rows, %+v, %v", name, n, sk, err)
		}
	}
}

// No data value in any error message: a marker planted in every field of
// every bad row never shows up in the error, and every error names the
// file and line.
func TestNoDataInErrors(t *testing.T) {
	const m = "ZZSECRETMRN4711"
	cases := []struct {
		name, file, body string
		opt              Options
		ner              bool
	}{
		{"jsonl syntax", "a.jsonl", `{"text": "` + m + `" "label": "x"}`, Options{}, false},
		{"jsonl not object", "a.jsonl", `["` + m + `"]`, Options{}, false},
		{"jsonl csv content", "a.jsonl", m + `,urgent`, Options{}, false},
		{"jsonl text object", "a.jsonl", `{"text": {"n": "` + m + `"}, "label": "x"}`, Options{}, false},
		{"jsonl label float", "a.jsonl", `{"text": "` + m + `", "label": 1.5}`, Options{}, false},
		{"jsonl label bool", "a.jsonl", `{"text": "` + m + `", "label": true}`, Options{}, false},
		{"jsonl label mix", "a.jsonl", `{"text": "` + m + `", "label": 1}` + "\n" + `{"text": "` + m + `", "label": "` + m + `"}`, Options{}, false},
		{"jsonl missing label", "a.jsonl", `{"text": "` + m + `"}`, Options{}, false},
		{"jsonl empty text", "a.jsonl", `{"text": " ", "label": "` + m + `"}`, Options{}, false},
		{"jsonl bad utf8", "a.jsonl", `{"text": "` + m + "\xff" + `", "label": "x"}`, Options{}, false},
		{"csv no header", "a.csv", "Patient SSN " + m + " chest pain,urgent\nfever,routine\n", Options{}, false},
		{"csv width", "a.csv", "text,label\n" + m + ",a,b\n", Options{}, false},
		{"csv bare quote", "a.csv", "text,label\nx \"" + m + "\" z,a\n", Options{}, false},
		{"csv open quote", "a.csv", "text,label\n\"" + m + ",a\nb,c\n", Options{}, false},
		{"csv bad utf8", "a.csv", "text,label\n" + m + "\xfe,a\n", Options{}, false},
		{"csv empty label", "a.csv", "text,label\n" + m + ",\n", Options{}, false},
		{"tsv width", "a.tsv", "text\tlabel\n" + m + "\ta\tb\n", Options{}, false},
		{"tsv no header", "a.tsv", m + " note\turgent\n", Options{}, false},
		{"conll tag", "a.conll", "a\tO\n" + m + "\t" + m + "\n", Options{}, true},
		{"conll missing tag", "a.conll", "a\tO\n" + m + "\n", Options{}, true},
		{"conll bad utf8", "a.conll", "a\tO\n" + m + "\xff\tO\n", Options{}, true},
		{"pubmedqa decision", "a.json", `{"` + m + `": {"QUESTION": "` + m + `", "CONTEXTS": ["` + m + `"], "final_decision": "` + m + `"}}`, Options{}, false},
		{"pubmedqa type", "a.json", `{"` + m + `": {"QUESTION": ["` + m + `"], "CONTEXTS": ["` + m + `"], "final_decision": "yes"}}`, Options{}, false},
		{"pubmedqa missing", "a.json", `{"` + m + `": {"CONTEXTS": ["` + m + `"], "final_decision": "yes"}}`, Options{}, false},
		{"pubmedqa syntax", "a.json", `{"` + m + `": {"QUESTION": "` + m + `" "CONTEXTS": []}}`, Options{}, false},
		{"records label", "a.json", `[{"text": "` + m + `", "label": false}]`, Options{}, false},
	}
	dir := t.TempDir()
	for _, c := range cases {
		p := filepath.Join(dir, c.file)
		if err := os.WriteFile(p, []byte(c.body), 0o600); err != nil {
			t.Fatal(err)
		}
		var err error
		if c.ner {
			_, _, err = ReadSentences(p, c.opt)
		} else {
			_, _, err = ReadExamples(p, c.opt)
		}
		if err == nil {
			t.Errorf("%s: accepted", c.name)
			continue
		}
		t.Logf("%s: %v", c.name, err)
		if strings.Contains(err.Error(), m) || strings.Contains(err.Error(), "ZZSECRET") {
			t.Errorf("%s: error shows the data: %v", c.name, err)
		}
		if !strings.Contains(err.Error(), p+":") {
			t.Errorf("%s: error does not name the file and line: %v", c.name, err)
		}
	}
	// Unknown labels at encoding time: a class name is shown (as reports
	// show it), a value too long to be one (text in the wrong column) is not.
	l, _ := NewLabels([]string{"a", "b"})
	long := "Patient " + m + " presents with chest pain"
	if _, err := l.Encode([]Example{{Label: long, Pos: Pos{"v.csv", 7}}}); err == nil || strings.Contains(err.Error(), m) || !strings.Contains(err.Error(), "v.csv:7") {
		t.Errorf("Encode: %v", err)
	}
	if _, err := l.Encode([]Example{{Label: "ortho", Pos: Pos{"v.csv", 8}}}); err == nil || !strings.Contains(err.Error(), `"ortho" is not one of the 2 training labels ["a" "b"]`) {
		t.Errorf("Encode: %v", err)
	}
}

// A CSV without a header, read with a header expectation, says how many
// columns the first row has and that it does not look like a header.
func TestHeaderlessCSVMessage(t *testing.T) {
	_, _, err := ParseExamples(strings.NewReader("Patient SSN 123-45-6789 chest pain,urgent\n"), "n.csv", Options{Format: FormatCSV})
	if err == nil {
		t.Fatal("accepted")
	}
	for _, w := range []string{"n.csv:1", `column "text"`, "2 columns", "does not look like a header", "--no-header"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("%v does not mention %q", err, w)
		}
	}
	if strings.Contains(err.Error(), "123-45") || strings.Contains(err.Error(), "urgent") {
		t.Errorf("error shows the data: %v", err)
	}
	// A real header without the column: says it is missing, no values.
	_, _, err = ParseExamples(strings.NewReader("note,priority\nx,y\n"), "h.csv", Options{Format: FormatCSV})
	if err == nil || !strings.Contains(err.Error(), "2 columns") || strings.Contains(err.Error(), "does not look like") {
		t.Errorf("real header: %v", err)
	}
}

// Invalid UTF-8 is a bad row (skippable and counted), not silently
// replaced.
func TestInvalidUTF8IsBadRow(t *testing.T) {
	for name, in := range map[string]string{
		"x.jsonl": "{\"text\": \"ok\", \"label\": \"a\"}\n{\"text\": \"bad \xff\", \"label\": \"a\"}\n",
		"x.tsv":   "text\tlabel\nok\ta\nbad \xff\ta\n",
		"x.csv":   "text,label\nok,a\nbad \xff,a\n",
	} {
		f, _ := formatFor(name, FormatAuto, false)
		_, _, err := ParseExamples(strings.NewReader(in), name, Options{Format: f})
		if err == nil || !strings.Contains(err.Error(), "UTF-8") {
			t.Errorf("%s: %v", name, err)
		}
		ex, sk, err := ParseExamples(strings.NewReader(in), name, Options{Format: f, SkipBadRows: true})
		if err != nil || len(ex) != 1 || sk.Count != 1 {
			t.Errorf("%s skipping: %v %+v %v", name, ex, sk, err)
		}
	}
}

// JSON labels: numbers and strings are both fine, a mix in one file is an
// error naming the line (1 and "1" would become one class), booleans are
// refused.
func TestJSONLabelKinds(t *testing.T) {
	ok := "{\"text\": \"a\", \"label\": 1}\n{\"text\": \"b\", \"label\": 0}\n"
	if ex, _, err := ParseExamples(strings.NewReader(ok), "n.jsonl", Options{Format: FormatJSONL}); err != nil || ex[0].Label != "1" {
		t.Errorf("numbers: %v %v", ex, err)
	}
	mix := "{\"text\": \"a\", \"label\": 1}\n{\"text\": \"b\", \"label\": \"1\"}\n"
	_, _, err := ParseExamples(strings.NewReader(mix), "m.jsonl", Options{Format: FormatJSONL})
	wantErr(t, err, "m.jsonl:2", "label")
	if !strings.Contains(err.Error(), "line 1") {
		t.Errorf("mix: %v", err)
	}
	_, _, err = ParseExamples(strings.NewReader("{\"text\": \"a\", \"label\": true}\n"), "b.jsonl", Options{Format: FormatJSONL})
	wantErr(t, err, "b.jsonl:1", "label")
	if !strings.Contains(err.Error(), "boolean") {
		t.Errorf("bool: %v", err)
	}
}

// CheckClasses: one class cannot be learned; the message counts, never
// names, the rows.
func TestCheckClasses(t *testing.T) {
	one := []Example{{Label: "O"}, {Label: "O"}}
	if err := CheckClasses(one); err == nil || !strings.Contains(err.Error(), "one class") || !strings.Contains(err.Error(), "2 examples") {
		t.Errorf("one class: %v", err)
	}
	if err := CheckClasses([]Example{{Label: "a"}, {Label: "b"}}); err != nil {
		t.Errorf("two classes: %v", err)
	}
}

// Every reader reports lines in and rows out.
func TestCounts(t *testing.T) {
	_, sk, err := ParseExamples(strings.NewReader("{\"text\": \"a\", \"label\": \"x\"}\n\n{\"text\": \"b\"}\n{\"text\": \"c\", \"label\": \"y\"}\n"), "c.jsonl", Options{Format: FormatJSONL, SkipBadRows: true})
	if err != nil || sk.Lines != 4 || sk.Rows != 2 || sk.Count != 1 || sk.Blank != 1 {
		t.Errorf("jsonl counts %+v %v", sk, err)
	}
	_, sk, err = ParseExamples(strings.NewReader("text,label\na,x\n\nb,y\n"), "c.csv", Options{Format: FormatCSV})
	if err != nil || sk.Lines != 4 || sk.Rows != 2 || sk.Blank != 1 {
		t.Errorf("csv counts %+v %v", sk, err)
	}
	_, sk, err = ReadSentences(td+"ncbi_small.tsv", Options{})
	if err != nil || sk.Lines == 0 || sk.Rows != 3 {
		t.Errorf("conll counts %+v %v", sk, err)
	}
	if !strings.Contains(sk.Summary(), "lines") {
		t.Errorf("summary %q", sk.Summary())
	}
}

func ExampleParseExamples_tsv() {
	// A TSV is read without quote processing: the lone `"` is a text.
	in := strings.NewReader("text\tlabel\nchest pain\turgent\n\"\tpunct\n\nfever\troutine\n")
	ex, sk, err := ParseExamples(in, "notes.tsv", Options{Format: FormatTSV})
	for _, e := range ex {
		fmt.Printf("%s %q %s\n", e.Pos, e.Text, e.Label)
	}
	fmt.Println(sk.Summary(), err)
	// Output:
	// notes.tsv:2 "chest pain" urgent
	// notes.tsv:3 "\"" punct
	// notes.tsv:5 "fever" routine
	// read 5 lines: 3 rows, 1 blank line <nil>
}
