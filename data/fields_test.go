package data

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func fieldsOf(e Example) string {
	var parts []string
	for _, f := range e.Fields {
		parts = append(parts, f.Name+"="+string(f.Value))
	}
	return strings.Join(parts, " ")
}

// KeepFields keeps every other field in file order, the label included,
// and never the text fields.
func TestKeepFields(t *testing.T) {
	for _, c := range []struct {
		format Format
		in     string
		opt    Options
		want   []string
	}{
		{FormatJSONL, `{"id": 7, "text": "a", "sex": "F", "label": "x", "age": null}` + "\n" + `{"text": "b", "label": "y", "id": "n-2"}` + "\n",
			Options{}, []string{`id=7 sex="F" label="x" age=null`, `label="y" id="n-2"`}},
		{FormatJSONL, `{"q": "a", "c": "b", "id": 1}` + "\n", Options{TextField: "q", TextPairField: "c", Unlabeled: true}, []string{`id=1`}},
		{FormatCSV, "id,text,sex,label\n7,a,F,x\n8,\"b, c\",M,y\n", Options{}, []string{`id="7" sex="F" label="x"`, `id="8" sex="M" label="y"`}},
		{FormatTSV, "7\ta\tF\n", Options{NoHeader: true, TextField: "1", LabelField: "2"}, []string{`0="7" 2="F"`}},
	} {
		c.opt.Format, c.opt.KeepFields = c.format, true
		exs, _, err := ParseExamples(strings.NewReader(c.in), "f", c.opt)
		if err != nil {
			t.Fatalf("%s: %v", c.format, err)
		}
		var got []string
		for _, e := range exs {
			got = append(got, fieldsOf(e))
		}
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%s: fields %q, want %q", c.format, got, c.want)
		}
	}
	// Without KeepFields nothing is kept.
	exs, _, _ := ParseExamples(strings.NewReader(`{"id": 7, "text": "a", "label": "x"}`+"\n"), "f", Options{Format: FormatJSONL})
	if exs[0].Fields != nil {
		t.Errorf("fields kept without KeepFields: %v", exs[0].Fields)
	}
}

func TestExampleField(t *testing.T) {
	e := Example{Fields: []Field{{"sex", []byte(`"F"`)}, {"age", []byte(`42`)}, {"x", []byte(`null`)}}}
	for _, c := range []struct {
		name, want string
		ok         bool
	}{{"sex", "F", true}, {"age", "42", true}, {"x", "", false}, {"nope", "", false}} {
		if v, ok := e.Field(c.name); v != c.want || ok != c.ok {
			t.Errorf("Field(%q) = %q, %v; want %q, %v", c.name, v, ok, c.want, c.ok)
		}
	}
}

func TestParseRecordPair(t *testing.T) {
	e, err := ParseRecord([]byte(`{"text": "q", "text_pair": "ctx", "id": 3}`), Pos{"stdin", 4}, Options{TextPairField: "text_pair", Unlabeled: true, KeepFields: true})
	if err != nil || e.Text != "q" || e.TextPair != "ctx" || fieldsOf(e) != "id=3" {
		t.Errorf("%+v, %v", e, err)
	}
	if _, err := ParseRecord([]byte(`{"txt": "SECRET"}`), Pos{"stdin", 4}, Options{Unlabeled: true}); err == nil ||
		!strings.Contains(err.Error(), "stdin:4") || strings.Contains(err.Error(), "SECRET") {
		t.Errorf("missing text: %v", err)
	}
}

func FuzzKeepFields(f *testing.F) {
	for _, s := range []string{`{"id": 7, "text": "a", "sex": "F", "label": "x"}`, `{"text": "a", "text": "b", "id": null}`,
		`{"text": "a", "x": {"y": [1, 2]}, "z": "\u00e9"}`, `{"text": "q", "text_pair": "c", "id": 1e3}`, `{"text": 1}`, `[1]`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseRecord([]byte(s), Pos{"f", 1}, Options{Unlabeled: true, KeepFields: true, TextPairField: ""})
		if err != nil {
			return
		}
		for _, fl := range e.Fields {
			if fl.Name == "text" {
				t.Fatalf("%q: the text field was kept", s)
			}
			if !json.Valid(fl.Value) {
				t.Fatalf("%q: field %q holds invalid JSON %q", s, fl.Name, fl.Value)
			}
			e.Field(fl.Name)
		}
	})
}
