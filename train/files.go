package train

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/medbert/medbert/bert"
)

// WriteFileAtomic writes data to path through a temporary file in the same
// folder, fsyncs it, renames it over path and fsyncs the folder, so a crash
// leaves either the old file or the new one, never a torn one. It is
// bert.WriteFileAtomic (one implementation); errors name path, never the
// temporary file.
func WriteFileAtomic(path string, data []byte) error {
	return bert.WriteFileAtomic(path, data)
}

// syncDir fsyncs a folder so a rename inside it is durable. Errors are
// ignored: some filesystems do not support syncing folders.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// CheckpointPrefix starts every checkpoint folder name (HF PREFIX_CHECKPOINT_DIR).
const CheckpointPrefix = "checkpoint-"

// CheckpointName is the folder name for the checkpoint at a global step.
func CheckpointName(step int) string { return CheckpointPrefix + strconv.Itoa(step) }

// checkpointStep parses "checkpoint-<step>"; ok is false for other names.
func checkpointStep(name string) (int, bool) {
	s, found := strings.CutPrefix(name, CheckpointPrefix)
	if !found || s == "" {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || strconv.Itoa(n) != s {
		return 0, false
	}
	return n, true
}

// ListCheckpoints returns the checkpoint folders in outputDir sorted by
// step (HF _sorted_checkpoints with use_mtime=False). Partial folders left
// by a crash (".tmp" suffix) are not listed.
func ListCheckpoints(outputDir string) ([]string, error) {
	ents, err := os.ReadDir(outputDir)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, nil
		}
		return nil, err
	}
	type ck struct {
		step int
		path string
	}
	var cks []ck
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		if n, ok := checkpointStep(e.Name()); ok {
			cks = append(cks, ck{n, filepath.Join(outputDir, e.Name())})
		}
	}
	sort.Slice(cks, func(i, j int) bool { return cks[i].step < cks[j].step })
	out := make([]string, len(cks))
	for i, c := range cks {
		out[i] = c.path
	}
	return out, nil
}

// LastCheckpoint returns the newest checkpoint folder in outputDir, or ""
// (HF get_last_checkpoint).
func LastCheckpoint(outputDir string) (string, error) {
	cks, err := ListCheckpoints(outputDir)
	if err != nil || len(cks) == 0 {
		return "", err
	}
	return cks[len(cks)-1], nil
}

// checkpointsToDelete applies HF's _rotate_checkpoints rule to a sorted
// list: keep the newest limit folders, but never the best one, which is
// moved next to last so it survives; with limit 1 and a best checkpoint
// that is not the newest, two are kept (best and newest).
func checkpointsToDelete(sorted []string, limit int, best string) []string {
	if limit <= 0 || len(sorted) == 0 {
		return nil
	}
	cks := append([]string(nil), sorted...)
	if best != "" {
		if bi := indexOf(cks, best); bi >= 0 {
			for i := bi; i < len(cks)-2; i++ {
				cks[i], cks[i+1] = cks[i+1], cks[i]
			}
		}
		if limit == 1 && cks[len(cks)-1] != best {
			limit = 2
		}
	}
	n := len(cks) - limit
	if n <= 0 {
		return nil
	}
	return cks[:n]
}

func indexOf(xs []string, x string) int {
	for i, v := range xs {
		if filepath.Clean(v) == filepath.Clean(x) {
			return i
		}
	}
	return -1
}

// rotateCheckpoints deletes old checkpoints beyond limit in outputDir.
func rotateCheckpoints(outputDir string, limit int, best string) error {
	cks, err := ListCheckpoints(outputDir)
	if err != nil {
		return err
	}
	for _, d := range checkpointsToDelete(cks, limit, best) {
		if err := os.RemoveAll(d); err != nil {
			return fmt.Errorf("rotate checkpoints: %w", err)
		}
	}
	return nil
}

// commitDir makes a fully written temporary folder visible under its final
// name in one rename, replacing an older folder of that name (a re-save of
// the same step after resume).
func commitDir(tmp, final string) error {
	if _, err := os.Stat(final); err == nil {
		old := final + ".old"
		os.RemoveAll(old)
		if err := os.Rename(final, old); err != nil {
			return err
		}
		defer os.RemoveAll(old)
	}
	if err := os.Rename(tmp, final); err != nil {
		return err
	}
	syncDir(filepath.Dir(final))
	return nil
}
