package deid

import (
	"bytes"
	"strings"
	"testing"
)

func placeholderCfg(format string) StreamConfig {
	return StreamConfig{Format: format, Replacer: NewReplacer(New(Options{}), Placeholder, []byte("k"))}
}

func TestStreamJSONLKeepsOtherFields(t *testing.T) {
	in := `{"id":7,"text":"Wife Maria called 617-555-0142.","meta":{"a":[1,2]},"label":"x<y"}` + "\n" +
		`{"text":"K 3.9, BP 120/80.","phi":"old","id":8}` + "\n"
	cfg := placeholderCfg("jsonl")
	cfg.Spans = true
	var out bytes.Buffer
	rep, err := Stream(strings.NewReader(in), &out, cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":7,"text":"Wife [NAME] called [PHONE].","meta":{"a":[1,2]},"label":"x<y","phi":[{"start":5,"end":10,"type":"NAME"},{"start":18,"end":30,"type":"PHONE"}]}` + "\n" +
		`{"text":"K 3.9, BP 120/80.","id":8,"phi":[]}` + "\n"
	if out.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", out.String(), want)
	}
	if rep.Rows != 2 || rep.RowsWithPHI != 1 || rep.ByType[Name] != 1 || rep.ByType[Phone] != 1 || rep.Spans != 2 {
		t.Fatalf("report %+v", rep)
	}
}

func TestStreamJSONLSeveralFields(t *testing.T) {
	in := `{"a":"Dr. Okafor","b":"seen 7/22/2023","c":"Dr. Okafor"}` + "\n"
	cfg := placeholderCfg("jsonl")
	cfg.Fields = []string{"a", "b"}
	cfg.Spans = true
	var out bytes.Buffer
	if _, err := Stream(strings.NewReader(in), &out, cfg); err != nil {
		t.Fatal(err)
	}
	want := `{"a":"Dr. [NAME]","b":"seen [DATE]","c":"Dr. Okafor","phi":{"a":[{"start":4,"end":10,"type":"NAME"}],"b":[{"start":5,"end":14,"type":"DATE"}]}}` + "\n"
	if out.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", out.String(), want)
	}
}

func TestStreamErrorsNameLineNotText(t *testing.T) {
	in := `{"text":"ok"}` + "\n" + `{"text":"Secret Name 555-0142` + "\n"
	var out bytes.Buffer
	_, err := Stream(strings.NewReader(in), &out, placeholderCfg("jsonl"))
	if err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("err %v, want one naming line 2", err)
	}
	if strings.Contains(err.Error(), "Secret") || strings.Contains(err.Error(), "555") {
		t.Fatalf("error echoes the text: %v", err)
	}
	_, err = Stream(strings.NewReader(`{"text":42}`+"\n"+`["Secret"]`+"\n"), &out, placeholderCfg("jsonl"))
	if err == nil || !strings.Contains(err.Error(), "line 2") || strings.Contains(err.Error(), "Secret") {
		t.Fatalf("err %v", err)
	}
}

func TestStreamCSV(t *testing.T) {
	in := "id,note\n1,\"Son Derek, call 617-555-0142\"\n2,K 3.9\n"
	cfg := placeholderCfg("csv")
	cfg.Fields = []string{"note"}
	cfg.Spans = true
	var out bytes.Buffer
	if _, err := Stream(strings.NewReader(in), &out, cfg); err != nil {
		t.Fatal(err)
	}
	want := "id,note,phi\n1,\"Son [NAME], call [PHONE]\",\"[{\"\"start\"\":4,\"\"end\"\":9,\"\"type\"\":\"\"NAME\"\"},{\"\"start\"\":16,\"\"end\"\":28,\"\"type\"\":\"\"PHONE\"\"}]\"\n2,K 3.9,[]\n"
	if out.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", out.String(), want)
	}
	cfg.Fields = []string{"missing"}
	if _, err := Stream(strings.NewReader(in), &out, cfg); err == nil {
		t.Fatal("missing column accepted")
	}
}

func TestStreamTxtAndReview(t *testing.T) {
	var out, page bytes.Buffer
	cfg := placeholderCfg("txt")
	cfg.Review = NewReview(&page, 10)
	if _, err := Stream(strings.NewReader("Seen by Dr. Lindqvist <b>\nNa 138\n"), &out, cfg); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Review.Close(); err != nil {
		t.Fatal(err)
	}
	if out.String() != "Seen by Dr. [NAME] <b>\nNa 138\n" {
		t.Fatalf("got %q", out.String())
	}
	p := page.String()
	if !strings.Contains(p, `Dr. <mark title="NAME">Lindqvist<sup>NAME</sup></mark> &lt;b&gt;`) || !strings.Contains(p, "2 documents shown") {
		t.Fatalf("review page:\n%s", p)
	}
}
