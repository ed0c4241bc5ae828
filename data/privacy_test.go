package data

import (
	"strings"
	"testing"
)

// Errors about malformed rows must say where and what is wrong without
// echoing the row's text: on clinical data that text is patient data and
// error messages end up in logs.
func TestRowErrorsDoNotEchoText(t *testing.T) {
	const secret = "JohnSmithMRN4711"
	_, _, err := ParseSentences(strings.NewReader("a\tO\n"+secret+"\n"), "notes.tsv", Options{})
	if err == nil || !strings.Contains(err.Error(), "notes.tsv:2") {
		t.Fatalf("CoNLL missing tag: err %v, want notes.tsv:2", err)
	}
	if strings.Contains(err.Error(), secret) {
		t.Errorf("CoNLL error echoes the row text: %v", err)
	}
	_, _, err = ParseExamples(strings.NewReader(`{"text": {"note": "`+secret+`"}, "label": "x"}`+"\n"), "notes.jsonl", Options{Format: FormatJSONL})
	if err == nil || !strings.Contains(err.Error(), "notes.jsonl:1") || !strings.Contains(err.Error(), "an object") {
		t.Fatalf("JSONL object text: err %v, want notes.jsonl:1 and 'an object'", err)
	}
	if strings.Contains(err.Error(), secret) {
		t.Errorf("JSONL error echoes the field value: %v", err)
	}
}
