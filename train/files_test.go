package train

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestCheckpointsToDelete(t *testing.T) {
	ck := func(steps ...int) []string {
		var s []string
		for _, n := range steps {
			s = append(s, filepath.Join("out", CheckpointName(n)))
		}
		return s
	}
	cases := []struct {
		name  string
		have  []string
		limit int
		best  string
		want  []string
	}{
		{"unlimited", ck(1, 2, 3), 0, "", nil},
		{"keep newest two", ck(1, 2, 3, 4), 2, "", ck(1, 2)},
		{"under limit", ck(1, 2), 3, "", nil},
		// HF _sorted_checkpoints moves the best next to last; the oldest
		// others go first.
		{"best survives", ck(1, 2, 3, 4), 2, ck(1)[0], ck(2, 3)},
		{"best is newest", ck(1, 2, 3), 2, ck(3)[0], ck(1)},
		// limit 1 with an older best keeps two: best and newest.
		{"limit one keeps best and last", ck(1, 2, 3), 1, ck(2)[0], ck(1)},
		{"limit one best newest", ck(1, 2, 3), 1, ck(3)[0], ck(1, 2)},
	}
	for _, c := range cases {
		got := checkpointsToDelete(c.have, c.limit, c.best)
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: delete %v, want %v", c.name, got, c.want)
		}
	}
}

func TestListAndRotateCheckpoints(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"checkpoint-10", "checkpoint-2", "checkpoint-100", "checkpoint-5.tmp", "checkpoint-x", "checkpoint-007", "other"} {
		if err := os.Mkdir(filepath.Join(dir, n), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	fakeCheckpoint(t, dir, 100) // LastCheckpoint wants a complete one
	got, err := ListCheckpoints(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(dir, "checkpoint-2"), filepath.Join(dir, "checkpoint-10"), filepath.Join(dir, "checkpoint-100")}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ListCheckpoints = %v, want %v (numeric order, no partial or odd names)", got, want)
	}
	if last, _ := LastCheckpoint(dir); last != want[2] {
		t.Errorf("LastCheckpoint = %s", last)
	}
	if err := rotateCheckpoints(dir, 1, want[0]); err != nil {
		t.Fatal(err)
	}
	got, _ = ListCheckpoints(dir)
	if !reflect.DeepEqual(got, []string{want[0], want[2]}) {
		t.Errorf("after rotation: %v, want best (2) and newest (100)", got)
	}
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.json")
	if err := WriteFileAtomic(p, []byte("one")); err != nil {
		t.Fatal(err)
	}
	if err := WriteFileAtomic(p, []byte("two")); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	if string(b) != "two" {
		t.Fatalf("content %q", b)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Fatalf("temporary files left behind: %v", ents)
	}
	missing := filepath.Join(dir, "missing", "x")
	if err := WriteFileAtomic(missing, nil); err == nil || err.Error() != "cannot write "+missing+": no such file or directory" {
		t.Fatalf("write into a missing folder: %v", err)
	}
	// Renaming over a folder fails; the error names the target.
	os.Mkdir(filepath.Join(dir, "d"), 0o755)
	os.WriteFile(filepath.Join(dir, "d", "f"), nil, 0o644)
	if err := WriteFileAtomic(filepath.Join(dir, "d"), nil); err == nil || !strings.HasPrefix(err.Error(), "cannot write "+filepath.Join(dir, "d")+": ") {
		t.Fatalf("write over a folder: %v", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 2 {
		t.Fatalf("temporary files left behind: %v", ents)
	}
}
