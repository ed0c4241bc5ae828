package data

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"testing"
)

// Excel's UTF-8 byte-order mark must not become part of the first column
// name, and .gz files are read through gzip with the inner extension.
func TestBOMAndGzip(t *testing.T) {
	dir := t.TempDir()
	csvBody := "\xef\xbb\xbftext,label\r\nBradycardia noted,cardio\r\n"
	p := filepath.Join(dir, "bom.csv")
	if err := os.WriteFile(p, []byte(csvBody), 0o644); err != nil {
		t.Fatal(err)
	}
	ex, _, err := ReadExamples(p, Options{})
	if err != nil || len(ex) != 1 || ex[0].Text != "Bradycardia noted" || ex[0].Label != "cardio" {
		t.Fatalf("BOM csv: %+v %v", ex, err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte("{\"text\": \"a\", \"label\": \"x\"}\n{\"text\": \"b\"}\n"))
	zw.Close()
	gz := filepath.Join(dir, "train.jsonl.gz")
	if err := os.WriteFile(gz, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err = ReadExamples(gz, Options{})
	wantErr(t, err, gz+":2", "label")
	if _, _, err := ReadExamples(filepath.Join(dir, "missing.csv"), Options{}); err == nil {
		t.Error("missing file accepted")
	}
}
