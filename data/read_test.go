package data

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const td = "../testdata/data/"

// wantErr asserts err is a *RowError at file:line on field.
func wantErr(t *testing.T, err error, pos string, field string) {
	t.Helper()
	var re *RowError
	if !errors.As(err, &re) {
		t.Fatalf("error %v (%T), want a RowError at %s", err, err, pos)
	}
	if re.Pos.String() != pos || re.Field != field {
		t.Fatalf("error at %s field %q, want %s field %q: %v", re.Pos, re.Field, pos, field, err)
	}
}

func TestJSONLErrorsAndSkip(t *testing.T) {
	path := td + "bad.jsonl"
	_, _, err := ReadExamples(path, Options{})
	// Line 2 is blank; line 3's label is a JSON number after line 1's
	// string (1 and "1" would become one class).
	wantErr(t, err, path+":3", "label")
	ex, sk, err := ReadExamples(path, Options{SkipBadRows: true})
	if err != nil {
		t.Fatal(err)
	}
	if sk.Count != 5 || len(sk.First) != 5 {
		t.Fatalf("skipped %d (%v), want 5", sk.Count, sk)
	}
	wantErr(t, sk.First[1], path+":4", "label")
	wantErr(t, sk.First[2], path+":5", "")
	wantErr(t, sk.First[3], path+":6", "text")
	wantErr(t, sk.First[4], path+":7", "text")
	want := []Example{
		{Text: "Chest pain radiating to the left arm.", Label: "cardio", Pos: Pos{path, 1}},
		{Text: "Last good row.", Label: "neuro", Pos: Pos{path, 8}},
	}
	if !reflect.DeepEqual(ex, want) {
		t.Errorf("got %+v\nwant %+v", ex, want)
	}
	if sk.Lines != 8 || sk.Rows != 2 || sk.Blank != 1 {
		t.Errorf("counts %+v: want 8 lines = 2 rows + 5 skipped + 1 blank", sk)
	}
	if !strings.Contains(sk.String(), "skipped 5 bad row(s)") {
		t.Errorf("summary %q", sk.String())
	}
}

func TestJSONLFieldsAndPairs(t *testing.T) {
	in := `{"sentence1": "Is it flu?", "sentence2": "Fever,\n cough.", "y": "yes"}` + "\n" + `{"sentence1": "No label", "sentence2": "x"}`
	opt := Options{Format: FormatJSONL, TextField: "sentence1", TextPairField: "sentence2", LabelField: "y"}
	_, _, err := ParseExamples(strings.NewReader(in), "pairs.jsonl", opt)
	wantErr(t, err, "pairs.jsonl:2", "y")
	opt.Unlabeled = true
	ex, _, err := ParseExamples(strings.NewReader(in), "pairs.jsonl", opt)
	if err != nil {
		t.Fatal(err)
	}
	if ex[0].TextPair != "Fever, cough." || ex[0].Label != "yes" || ex[1].Label != "" {
		t.Errorf("got %+v", ex)
	}
}

func TestCSVQuotingAndErrors(t *testing.T) {
	path := td + "bad.csv"
	_, _, err := ReadExamples(path, Options{})
	wantErr(t, err, path+":5", "") // wrong field count; the quoted newline made row 2 span lines 3-4
	ex, sk, err := ReadExamples(path, Options{SkipBadRows: true})
	if err != nil {
		t.Fatal(err)
	}
	if sk.Count != 2 {
		t.Fatalf("skipped %d, want 2: %v", sk.Count, sk.First)
	}
	wantErr(t, sk.First[1], path+":6", "text")
	want := []Example{
		{Text: `Headache, nausea and "photophobia".`, Label: "neuro", Pos: Pos{path, 2}},
		{Text: "Two-line note text", Label: "cardio", Pos: Pos{path, 3}},
		{Text: "Last good row", Label: "neuro", Pos: Pos{path, 7}},
	}
	if !reflect.DeepEqual(ex, want) {
		t.Errorf("got %+v\nwant %+v", ex, want)
	}
}

// An unbalanced quote swallows every following line into one field:
// the error names the row where the quote opened and how far it ran, and
// --skip-bad-rows refuses to skip it (50 good rows would vanish under a
// count of 1). A bad quote within one line is still skippable.
func TestCSVUnbalancedQuoteNotSkipped(t *testing.T) {
	var b strings.Builder
	b.WriteString("text,label\nfine,a\n\"open quote,b\n")
	for i := 0; i < 50; i++ {
		fmt.Fprintf(&b, "row %d,a\n", i)
	}
	for _, skip := range []bool{false, true} {
		_, _, err := ParseExamples(strings.NewReader(b.String()), "q.csv", Options{Format: FormatCSV, SkipBadRows: skip})
		wantErr(t, err, "q.csv:3", "")
		if !strings.Contains(err.Error(), "q.csv:3: unbalanced quote: this row's quoted field runs on to line 53") ||
			!strings.Contains(err.Error(), "it would drop 51 lines") {
			t.Errorf("skip=%v: %v", skip, err)
		}
	}
	in := "text,label\nx \"y\" z,a\nok,b\n"
	_, _, err := ParseExamples(strings.NewReader(in), "q.csv", Options{Format: FormatCSV})
	wantErr(t, err, "q.csv:2", "")
	if !strings.Contains(err.Error(), `q.csv:2: column 3: bare " in non-quoted-field`) {
		t.Errorf("one-line bad quote: %v", err)
	}
	ex, sk, err := ParseExamples(strings.NewReader(in), "q.csv", Options{Format: FormatCSV, SkipBadRows: true})
	if err != nil || sk.Count != 1 || len(ex) != 1 || ex[0].Text != "ok" {
		t.Errorf("skip a one-line bad quote: %v, %d skipped, %+v", err, sk.Count, ex)
	}
}

func TestTableColumnsByIndexAndTSV(t *testing.T) {
	// No header: columns by index.
	in := "neuro\tSevere \"thunderclap\" headache\ncardio\tPalpitations\n"
	ex, _, err := ParseExamples(strings.NewReader(in), "x.tsv",
		Options{Format: FormatTSV, NoHeader: true, TextField: "1", LabelField: "0"})
	if err != nil {
		t.Fatal(err)
	}
	if len(ex) != 2 || ex[0].Text != `Severe "thunderclap" headache` || ex[1].Label != "cardio" || ex[1].Pos.Line != 2 {
		t.Errorf("got %+v", ex)
	}
	// Unknown column name: error at the header line naming the column.
	_, _, err = ParseExamples(strings.NewReader("a,b\n1,2\n"), "h.csv", Options{Format: FormatCSV})
	if err == nil || !strings.Contains(err.Error(), `h.csv:1: column "text"`) {
		t.Errorf("err %v", err)
	}
	// Without header, a name is rejected.
	_, _, err = ParseExamples(strings.NewReader("a,b\n"), "n.csv", Options{Format: FormatCSV, NoHeader: true})
	if err == nil || !strings.Contains(err.Error(), "0-based index") {
		t.Errorf("err %v", err)
	}
	// Header named by index with a header present; BOM stripped by openData
	// is tested via ReadExamples elsewhere.
	ex, _, err = ParseExamples(strings.NewReader("label,text\nx,hello\n"), "i.csv", Options{Format: FormatCSV, TextField: "1", LabelField: "0"})
	if err != nil || ex[0].Text != "hello" || ex[0].Label != "x" {
		t.Errorf("got %+v, %v", ex, err)
	}
	// An unterminated quote is a bad row with its start line.
	_, _, err = ParseExamples(strings.NewReader("text,label\nok,a\n\"never closed,b\n"), "q.csv", Options{Format: FormatCSV})
	wantErr(t, err, "q.csv:3", "")
}

func TestPubMedQA(t *testing.T) {
	path := td + "pubmedqa_small.json"
	ex, sk, err := ReadExamples(path, Options{})
	if err != nil || sk.Count != 0 {
		t.Fatal(err, sk)
	}
	if len(ex) != 3 {
		t.Fatalf("%d examples, want 3", len(ex))
	}
	ids := []string{ex[0].ID, ex[1].ID, ex[2].ID}
	if !reflect.DeepEqual(ids, []string{"21645374", "16418930", "9488747"}) { // file order
		t.Errorf("ids %v", ids)
	}
	labels := []string{ex[0].Label, ex[1].Label, ex[2].Label}
	if !reflect.DeepEqual(labels, []string{"yes", "no", "yes"}) {
		t.Errorf("labels %v", labels)
	}
	if ex[0].Text != "Do mitochondria play a role in remodelling lace plant leaves during programmed cell death?" {
		t.Errorf("question %q", ex[0].Text)
	}
	if !strings.HasPrefix(ex[0].TextPair, "Programmed cell death (PCD) is the regulated") ||
		!strings.Contains(ex[0].TextPair, "co The following paper") { // contexts joined by a space
		t.Errorf("contexts %q", ex[0].TextPair)
	}
	if ex[1].Pos.Line != 25 || ex[2].Pos.Line != 63 {
		t.Errorf("lines %d %d, want 25 63", ex[1].Pos.Line, ex[2].Pos.Line)
	}
	bad := "{\n \"1\": {\"QUESTION\": \"q\", \"CONTEXTS\": [\"c\"], \"final_decision\": \"yes\"},\n \"2\": {\"QUESTION\": \"q\", \"CONTEXTS\": [], \"final_decision\": \"no\"},\n \"3\": {\"QUESTION\": \"q\", \"CONTEXTS\": [\"c\"], \"final_decision\": \"perhaps\"}\n}"
	_, _, err = ParseExamples(strings.NewReader(bad), "p.json", Options{Format: FormatPubMedQA})
	wantErr(t, err, "p.json:3", "CONTEXTS")
	ex, sk, err = ParseExamples(strings.NewReader(bad), "p.json", Options{Format: FormatJSON, SkipBadRows: true})
	if err != nil || len(ex) != 1 || sk.Count != 2 {
		t.Fatalf("got %d examples, %v, %v", len(ex), sk, err)
	}
	wantErr(t, sk.First[1], "p.json:4", "final_decision")
	// Broken JSON cannot be skipped: error with its line.
	_, _, err = ParseExamples(strings.NewReader("{\n \"1\": {\"QUESTION\": \"q\",,}\n}"), "s.json", Options{Format: FormatJSON, SkipBadRows: true})
	if err == nil || !strings.HasPrefix(err.Error(), "s.json:2: invalid JSON") {
		t.Errorf("err %v", err)
	}
}

func TestJSONArrayOfRecords(t *testing.T) {
	in := "[\n {\"text\": \"a b\", \"label\": \"x\"},\n {\"text\": \"c\"}\n]"
	_, _, err := ParseExamples(strings.NewReader(in), "r.json", Options{Format: FormatJSON})
	wantErr(t, err, "r.json:3", "label")
}

func TestFormatByExtension(t *testing.T) {
	for path, want := range map[string]Format{
		"a.jsonl": FormatJSONL, "a.csv": FormatCSV, "a.TSV": FormatTSV, "b.tsv.gz": FormatTSV,
		"ori_pqal.json": FormatJSON, "x.conll": FormatCoNLL,
	} {
		if got, err := formatFor(path, FormatAuto, false); err != nil || got != want {
			t.Errorf("%s: %v %v, want %v", path, got, err, want)
		}
	}
	if got, _ := formatFor("train.tsv", FormatAuto, true); got != FormatCoNLL {
		t.Errorf("NER .tsv read as %v", got)
	}
	if got, _ := formatFor("data.txt", FormatCSV, false); got != FormatCSV {
		t.Errorf("override ignored: %v", got)
	}
	if _, err := formatFor("data.xlsx", FormatAuto, false); err == nil {
		t.Error("unknown extension accepted")
	}
	if _, err := ParseFormat("parquet"); err == nil {
		t.Error("unknown --format accepted")
	}
	// A .txt classification file gets a message a CLI user can act on.
	p := filepath.Join(t.TempDir(), "notes.txt")
	os.WriteFile(p, []byte("neg\tfine\n"), 0o644)
	if _, _, err := ReadExamples(p, Options{}); err == nil || !strings.Contains(err.Error(), "notes.txt: read as a CoNLL") ||
		!strings.Contains(err.Error(), "--format tsv") {
		t.Errorf(".txt for classification: %v", err)
	}
}

func TestNormalizeSpace(t *testing.T) {
	for in, want := range map[string]string{
		"  a\t\tb\r\nc  ": "a b c",
		"x\u00a0\u2028y":  "x y",
		"":                "",
		" \n ":            "",
		"héllo  wörld":    "héllo wörld",
	} {
		if got := NormalizeSpace(in); got != want {
			t.Errorf("NormalizeSpace(%q) = %q, want %q", in, got, want)
		}
	}
	ex, _, _ := ParseExamples(strings.NewReader("{\"text\": \" a\\n b \", \"label\": \"x\"}"), "k.jsonl", Options{Format: FormatJSONL, KeepWhitespace: true})
	if ex[0].Text != " a\n b " {
		t.Errorf("KeepWhitespace: %q", ex[0].Text)
	}
}
