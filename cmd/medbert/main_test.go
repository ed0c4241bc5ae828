package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestHelpAndVersion(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"help", "forward"}, &out, &errb); code != 0 {
		t.Fatalf("help forward: exit %d", code)
	}
	if got := out.String() + errb.String(); !strings.Contains(got, "medbert forward --model DIR") {
		t.Errorf("help forward printed %q, want forward's usage", got)
	}
	out.Reset()
	errb.Reset()
	if code := run([]string{"--version"}, &out, &errb); code != 0 || !strings.HasPrefix(out.String(), "medbert ") {
		t.Errorf("--version: exit %d, output %q", code, out.String())
	}
	out.Reset()
	errb.Reset()
	if code := run([]string{"nosuchcommand"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), `unknown command "nosuchcommand"`) {
		t.Errorf("unknown command: exit %d, stderr %q", code, errb.String())
	}
}
