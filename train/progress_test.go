package train

import (
	"bytes"
	"github.com/medbert/medbert/internal/term"
	"os"
	"strings"
	"testing"
)

func TestProgressBar(t *testing.T) {
	var buf bytes.Buffer
	p := newProgress(&buf, 10, 0, false)
	p.update(1, 0.5, 1e-4, 8)
	if buf.Len() != 0 {
		t.Fatalf("non-terminal writer got a bar: %q", buf.String())
	}
	p.tty = true // as on a terminal
	p.update(10, 0.25, 2e-5, 8)
	s := buf.String()
	for _, want := range []string{"10/10", "loss 0.2500", "lr 2.00e-05", "seq/s", "ETA 0s", "\r"} {
		if !strings.Contains(s, want) {
			t.Errorf("bar %q lacks %q", s, want)
		}
	}
	buf.Reset()
	p.clear()
	if buf.String() != "\r\x1b[K" {
		t.Errorf("clear wrote %q", buf.String())
	}
	f, err := os.CreateTemp(t.TempDir(), "log")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if term.IsTerminal(f) {
		t.Error("a regular file is not a terminal")
	}
	if n, err := os.Open(os.DevNull); err == nil {
		if term.IsTerminal(n) {
			t.Error("/dev/null is not a terminal")
		}
		n.Close()
	}
}
