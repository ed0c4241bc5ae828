package train

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// fakeCheckpoint writes a checkpoint folder holding every file a resume
// needs (empty files: only their presence is checked here).
func fakeCheckpoint(t *testing.T, outputDir string, step int) string {
	t.Helper()
	dir := filepath.Join(outputDir, CheckpointName(step))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range append([]string{"model.safetensors"}, checkpointFiles...) {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// visibleCheckpointsComplete fails the test if any checkpoint-N folder a
// user or --resume-from-checkpoint could pick lacks a file.
func visibleCheckpointsComplete(t *testing.T, outputDir string) {
	t.Helper()
	cks, err := ListCheckpoints(outputDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, ck := range cks {
		if m := MissingCheckpointFiles(ck); m != nil {
			t.Errorf("%s is visible but incomplete: missing %v", filepath.Base(ck), m)
		}
	}
}

var errKilled = errors.New("killed")

// A kill at any point of rotation leaves only complete checkpoint folders;
// the next start removes the hidden remains. The hook deletes part of the
// trashed folder first, as a kill inside os.RemoveAll would.
func TestRotationKilledLeavesCompleteCheckpoints(t *testing.T) {
	dir := t.TempDir()
	for _, s := range []int{10, 20, 30} {
		fakeCheckpoint(t, dir, s)
	}
	rotationHook = func(step, path string) error {
		if step == "trashed" {
			os.Remove(filepath.Join(path, StateFile))
			os.Remove(filepath.Join(path, "model.safetensors"))
			return errKilled
		}
		return nil
	}
	defer func() { rotationHook = nil }()
	if err := rotateCheckpoints(dir, 1, ""); !errors.Is(err, errKilled) {
		t.Fatalf("rotation: %v, want the simulated kill", err)
	}
	visibleCheckpointsComplete(t, dir)
	cks, _ := ListCheckpoints(dir)
	if want := []string{filepath.Join(dir, "checkpoint-20"), filepath.Join(dir, "checkpoint-30")}; !reflect.DeepEqual(cks, want) {
		t.Errorf("after the kill: %v, want %v", cks, want)
	}
	done, err := CleanCheckpointLeftovers(dir)
	if err != nil || !reflect.DeepEqual(done, []string{".checkpoint-10.trash"}) {
		t.Errorf("cleanup removed %v (%v), want the trash folder", done, err)
	}
	rotationHook = nil
	if err := rotateCheckpoints(dir, 1, ""); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 || ents[0].Name() != "checkpoint-30" {
		t.Errorf("after a full rotation: %v, want checkpoint-30 only", ents)
	}
}

// A kill while a re-save of the same step replaces its folder: the older
// complete save is moved aside and restored at the next start; a killed
// save's checkpoint-N.tmp is removed.
func TestCommitKilledRestoresReplaced(t *testing.T) {
	dir := t.TempDir()
	fakeCheckpoint(t, dir, 5)
	tmp := filepath.Join(dir, "checkpoint-5.tmp")
	os.Rename(fakeCheckpoint(t, dir, 6), tmp)
	rotationHook = func(step, path string) error {
		if step == "replaced" {
			return errKilled
		}
		return nil
	}
	defer func() { rotationHook = nil }()
	if err := commitDir(tmp, filepath.Join(dir, "checkpoint-5")); !errors.Is(err, errKilled) {
		t.Fatalf("commit: %v", err)
	}
	if last, _ := LastCheckpoint(dir); last != "" {
		t.Errorf("LastCheckpoint = %q in the middle of a commit, want none", last)
	}
	done, err := CleanCheckpointLeftovers(dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{".checkpoint-5.replaced (restored as checkpoint-5)", "checkpoint-5.tmp"}; !reflect.DeepEqual(done, want) {
		t.Errorf("cleanup: %v, want %v", done, want)
	}
	visibleCheckpointsComplete(t, dir)
	if last, _ := LastCheckpoint(dir); last != filepath.Join(dir, "checkpoint-5") {
		t.Errorf("LastCheckpoint = %q, want the restored checkpoint-5", last)
	}
}

// "last" skips folders a killed rotation of an older version left with a
// few of their files, and says which and why.
func TestLastCheckpointSkipsIncomplete(t *testing.T) {
	dir := t.TempDir()
	fakeCheckpoint(t, dir, 40)
	partial := fakeCheckpoint(t, dir, 68)
	for _, f := range []string{"model.safetensors", StateFile, RNGFile} {
		os.Remove(filepath.Join(partial, f))
	}
	last, skipped, err := LastCompleteCheckpoint(dir)
	if err != nil || last != filepath.Join(dir, "checkpoint-40") {
		t.Fatalf("last = %q (%v), want checkpoint-40", last, err)
	}
	if len(skipped) != 1 || skipped[0].Path != partial {
		t.Fatalf("skipped %v", skipped)
	}
	msg := skipped[0].String()
	for _, w := range []string{"checkpoint-68 is incomplete", "model weights", StateFile, RNGFile} {
		if !strings.Contains(msg, w) {
			t.Errorf("skip message %q does not mention %q", msg, w)
		}
	}
	if l, _ := LastCheckpoint(dir); l != last {
		t.Errorf("LastCheckpoint = %q, want %q", l, last)
	}
}

// TestResolveResume: the rules every training command applies to
// --resume-from-checkpoint.
func TestResolveResume(t *testing.T) {
	out := t.TempDir()
	var log strings.Builder
	if got, err := ResolveResume(out, "", false, &log); err != nil || got != "" {
		t.Fatalf("fresh run in an empty folder: %q, %v", got, err)
	}
	if _, err := ResolveResume(out, "last", false, &log); err == nil {
		t.Error("last without checkpoints: no error")
	}
	good := fakeCheckpoint(t, out, 10)
	bad := fakeCheckpoint(t, out, 20)
	if err := os.Remove(filepath.Join(bad, "model.safetensors")); err != nil {
		t.Fatal(err)
	}
	if _, err := ResolveResume(out, "", false, &log); err == nil || !strings.Contains(err.Error(), "already holds checkpoints") {
		t.Errorf("fresh run over checkpoints: %v", err)
	}
	if got, err := ResolveResume(out, "", true, &log); err != nil || got != "" {
		t.Errorf("--overwrite-output-dir: %q, %v", got, err)
	}
	log.Reset()
	if got, err := ResolveResume(out, "last", false, &log); err != nil || got != good {
		t.Errorf("last = %q, %v; want %s", got, err, good)
	}
	if !strings.Contains(log.String(), "checkpoint-20 is incomplete") {
		t.Errorf("the skipped checkpoint was not named: %q", log.String())
	}
	if _, err := ResolveResume(out, bad, false, &log); err == nil || !strings.Contains(err.Error(), "is incomplete") {
		t.Errorf("explicit incomplete checkpoint: %v", err)
	}
}
