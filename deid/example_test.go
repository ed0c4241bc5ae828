package deid_test

import (
	"fmt"
	"os"
	"strings"

	"github.com/medbert/medbert/deid"
)

func ExampleDetector_Detect() {
	d := deid.New(deid.Options{})
	text := "Seen by Dr. Okafor on 7/22/2023; BP 120/80, K 3.9. Wife Maria: 617-555-0142."
	for _, s := range d.Detect(text) {
		fmt.Println(s.Type, string([]rune(text)[s.Start:s.End]))
	}
	// Output:
	// NAME Okafor
	// DATE 7/22/2023
	// NAME Maria
	// PHONE 617-555-0142
}

func ExampleReplacer_Redact() {
	r := deid.NewReplacer(deid.New(deid.Options{}), deid.Placeholder, nil)
	out, _ := r.Redact("Mr. Kowalski, 94 yo, MRN 4455667, lives in Framingham, MA 01701.", "")
	fmt.Println(out)
	// Output:
	// Mr. [NAME], [AGE] yo, MRN [ID], lives in [LOCATION].
}

func ExampleStream() {
	cfg := deid.StreamConfig{
		Format:   "jsonl",
		Spans:    true,
		Replacer: deid.NewReplacer(deid.New(deid.Options{}), deid.Placeholder, nil),
	}
	in := `{"id":1,"text":"Daughter Keisha called on 3/14/2021."}` + "\n"
	rep, err := deid.Stream(strings.NewReader(in), os.Stdout, cfg)
	fmt.Println(rep.Rows, rep.ByType[deid.Name], rep.ByType[deid.Date], err)
	// Output:
	// {"id":1,"text":"Daughter [NAME] called on [DATE].","phi":[{"start":9,"end":15,"type":"NAME"},{"start":26,"end":35,"type":"DATE"}]}
	// 1 1 1 <nil>
}
