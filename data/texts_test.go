package data

import (
	"fmt"
	"strings"
	"testing"
)

// ScanTexts: blank lines counted and skipped, a line over the limit
// named with its line and the limit (never its text), skippable.
func TestScanTexts(t *testing.T) {
	in := "chest pain\r\n\n  \nfever " + strings.Repeat("x", 200) + "\nSECRETMRN cough\n"
	var got []string
	collect := func(e Example) error { got = append(got, fmt.Sprintf("%d:%s", e.Pos.Line, e.Text)); return nil }
	_, err := ScanTexts(strings.NewReader(in), "stdin", Options{MaxRowBytes: 100}, collect)
	wantErr(t, err, "stdin:4", "")
	if !strings.Contains(err.Error(), "limit of 100 bytes") || strings.Contains(err.Error(), "xxx") {
		t.Errorf("err = %v", err)
	}
	if len(got) != 1 || got[0] != "1:chest pain" {
		t.Errorf("texts before the error: %q", got)
	}
	got = nil
	sk, err := ScanTexts(strings.NewReader(in), "stdin", Options{MaxRowBytes: 100, SkipBadRows: true}, collect)
	if err != nil || strings.Join(got, "|") != "1:chest pain|5:SECRETMRN cough" || sk.Blank != 2 || sk.Count != 1 || sk.Lines != 5 || sk.Rows != 2 {
		t.Errorf("skipping: %q %+v %v", got, sk, err)
	}
}

func ExampleScanTexts() {
	in := strings.NewReader("chest pain radiating to the left arm\n\nfever and cough\n")
	sk, err := ScanTexts(in, "stdin", Options{}, func(e Example) error {
		fmt.Printf("%s: %s\n", e.Pos, e.Text)
		return nil
	})
	fmt.Println(sk.Summary(), err)
	// Output:
	// stdin:1: chest pain radiating to the left arm
	// stdin:3: fever and cough
	// read 3 lines: 2 rows, 1 blank line <nil>
}
