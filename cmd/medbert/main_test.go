package main

import (
	"bytes"
	"runtime/debug"
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

func TestVersionOf(t *testing.T) {
	rev := &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.time", Value: "2026-12-03T10:00:00Z"},
		{Key: "vcs.modified", Value: "true"}}}
	tagged := &debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}}
	for _, c := range []struct {
		bi   *debug.BuildInfo
		want string
	}{
		{rev, "revision 0123456789ab+dirty (2026-12-03T10:00:00Z)\nbuilt with go1."},
		{tagged, "v1.2.3\nbuilt with go1."},
		{nil, "unknown (built without a module version or VCS stamp"},
	} {
		if got := versionOf(c.bi); !strings.HasPrefix(got, c.want) {
			t.Errorf("versionOf: %q, want prefix %q", got, c.want)
		}
	}
}
