package train

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/medbert/medbert/internal/atomicfile"
	"github.com/medbert/medbert/optim"
)

// WriteFileAtomic writes data to path through a temporary file in the same
// folder, fsyncs it, renames it over path and fsyncs the folder, so a crash
// leaves either the old file or the new one, never a torn one. It is
// bert.WriteFileAtomic (one implementation); errors name path, never the
// temporary file.
func WriteFileAtomic(path string, data []byte) error {
	return atomicfile.WriteBytes(path, data)
}

// syncDir fsyncs a folder so a rename inside it is durable; a folder that
// cannot be synced is not an error here (the rename itself succeeded).
func syncDir(dir string) { _ = atomicfile.SyncDir(dir) }

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

// LastCheckpoint returns the newest complete checkpoint folder in
// outputDir, or "" (HF get_last_checkpoint, minus folders that a crash
// left incomplete). LastCompleteCheckpoint also says which were skipped.
func LastCheckpoint(outputDir string) (string, error) {
	last, _, err := LastCompleteCheckpoint(outputDir)
	return last, err
}

// Incomplete is a checkpoint folder that lacks files a resume needs.
type Incomplete struct {
	Path    string
	Missing []string // file names, or "model weights"
}

func (c Incomplete) String() string {
	return fmt.Sprintf("%s is incomplete (no %s)", filepath.Base(c.Path), strings.Join(c.Missing, ", "))
}

// LastCompleteCheckpoint is what --resume-from-checkpoint last resolves
// to: the newest checkpoint folder holding every file a resume reads.
// Newer incomplete folders (from a version whose rotation could be killed
// half-way) are returned in skipped, newest first, so the caller can say
// it skipped them.
func LastCompleteCheckpoint(outputDir string) (last string, skipped []Incomplete, err error) {
	cks, err := ListCheckpoints(outputDir)
	if err != nil {
		return "", nil, err
	}
	for i := len(cks) - 1; i >= 0; i-- {
		if missing := MissingCheckpointFiles(cks[i]); len(missing) > 0 {
			skipped = append(skipped, Incomplete{cks[i], missing})
			continue
		}
		return cks[i], skipped, nil
	}
	return "", skipped, nil
}

// checkpointFiles are written into every checkpoint by saveCheckpoint
// (trainer_state.json last); the model files are the task's.
var checkpointFiles = []string{"config.json", optim.MomentsFile, optim.OptimizerFile, optim.SchedulerFile, ArgsFile, RNGFile, StateFile}

// weightFiles are the model weights a checkpoint may hold.
var weightFiles = []string{"model.safetensors", "pytorch_model.bin"}

// MissingCheckpointFiles lists what the checkpoint folder dir lacks for a
// resume; nil means complete.
func MissingCheckpointFiles(dir string) []string {
	var missing []string
	has := func(name string) bool {
		st, err := os.Stat(filepath.Join(dir, name))
		return err == nil && st.Mode().IsRegular()
	}
	if !has(weightFiles[0]) && !has(weightFiles[1]) {
		missing = append(missing, "model weights ("+strings.Join(weightFiles, " or ")+")")
	}
	for _, f := range checkpointFiles {
		if !has(f) {
			missing = append(missing, f)
		}
	}
	return missing
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

// Hidden names for folders on their way out. A folder is renamed to one
// of them in one step (atomic), then deleted, so a kill during deletion
// leaves a hidden folder that CleanCheckpointLeftovers removes, never a
// half-deleted checkpoint-N that looks resumable.
const (
	trashSuffix    = ".trash"    // .checkpoint-N.trash: rotated out, being deleted
	replacedSuffix = ".replaced" // .checkpoint-N.replaced: an older save of the same step
	tmpSuffix      = ".tmp"      // checkpoint-N.tmp: a save in progress
)

func hiddenName(final, suffix string) string {
	return filepath.Join(filepath.Dir(final), "."+filepath.Base(final)+suffix)
}

// rotationHook, when set (tests only), runs between the steps of rotation
// and commit; an error from it stops there, as a kill would.
var rotationHook func(step, path string) error

func hook(step, path string) error {
	if rotationHook == nil {
		return nil
	}
	return rotationHook(step, path)
}

// rotateCheckpoints deletes old checkpoints beyond limit in outputDir:
// each is first renamed to a hidden trash name, then deleted.
func rotateCheckpoints(outputDir string, limit int, best string) error {
	cks, err := ListCheckpoints(outputDir)
	if err != nil {
		return err
	}
	for _, d := range checkpointsToDelete(cks, limit, best) {
		trash := hiddenName(d, trashSuffix)
		os.RemoveAll(trash) // a leftover of an earlier kill
		if err := os.Rename(d, trash); err != nil {
			return fmt.Errorf("rotate checkpoints: %w", err)
		}
		syncDir(outputDir)
		if err := hook("trashed", trash); err != nil {
			return err
		}
		if err := os.RemoveAll(trash); err != nil {
			return fmt.Errorf("rotate checkpoints: %w", err)
		}
	}
	return nil
}

// commitDir makes a fully written temporary folder visible under its final
// name in one rename, replacing an older folder of that name (a re-save of
// the same step after resume): the older one is first renamed to a hidden
// name, which CleanCheckpointLeftovers restores if a kill came before the
// new folder was in place.
func commitDir(tmp, final string) error {
	old := hiddenName(final, replacedSuffix)
	if _, err := os.Stat(final); err == nil {
		os.RemoveAll(old)
		if err := os.Rename(final, old); err != nil {
			return err
		}
		if err := hook("replaced", old); err != nil {
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

// CleanCheckpointLeftovers removes what killed saves and rotations left
// in outputDir: checkpoint-N.tmp folders (a save that did not finish),
// hidden .checkpoint-N.trash folders (a rotation that did not finish) and
// the legacy checkpoint-N.old. A hidden .checkpoint-N.replaced whose
// checkpoint-N is missing is a complete older save of that step (the kill
// came between moving it aside and committing its replacement) and is
// renamed back. It returns the names it removed or restored, for the log.
// Call it once at the start of training, before the first save.
func CleanCheckpointLeftovers(outputDir string) ([]string, error) {
	ents, err := os.ReadDir(outputDir)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, nil
		}
		return nil, err
	}
	var done []string
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		name := e.Name()
		path := filepath.Join(outputDir, name)
		if base, ok := strings.CutPrefix(name, "."); ok {
			if ck, ok := strings.CutSuffix(base, replacedSuffix); ok {
				if _, isCk := checkpointStep(ck); isCk {
					final := filepath.Join(outputDir, ck)
					if _, err := os.Stat(final); os.IsNotExist(err) && MissingCheckpointFiles(path) == nil {
						if err := os.Rename(path, final); err != nil {
							return done, fmt.Errorf("restore %s: %w", ck, err)
						}
						done = append(done, name+" (restored as "+ck+")")
						continue
					}
				}
			}
			for _, suf := range []string{trashSuffix, replacedSuffix} {
				if ck, ok := strings.CutSuffix(base, suf); ok {
					if _, isCk := checkpointStep(ck); isCk {
						if err := os.RemoveAll(path); err != nil {
							return done, err
						}
						done = append(done, name)
					}
				}
			}
			continue
		}
		for _, suf := range []string{tmpSuffix, ".old"} {
			if ck, ok := strings.CutSuffix(name, suf); ok {
				if _, isCk := checkpointStep(ck); isCk {
					if err := os.RemoveAll(path); err != nil {
						return done, err
					}
					done = append(done, name)
				}
			}
		}
	}
	if len(done) > 0 {
		syncDir(outputDir)
	}
	return done, nil
}

// ResolveResume turns --resume-from-checkpoint into a folder to resume
// from ("" for a fresh run), the rules every training command shares:
// leftovers of a killed run are cleaned first (what was removed or
// restored goes to log); "last" (or "true", HF's spelling) is the newest
// complete checkpoint, saying which incomplete ones it skipped; an
// explicit folder must hold everything a resume reads; and a fresh run
// refuses an output folder that already holds checkpoints unless
// overwrite is set.
func ResolveResume(outputDir, arg string, overwrite bool, log io.Writer) (string, error) {
	cleaned, err := CleanCheckpointLeftovers(outputDir)
	if err != nil {
		return "", fmt.Errorf("%s: cleaning up interrupted saves: %w", outputDir, err)
	}
	for _, c := range cleaned {
		fmt.Fprintf(log, "%s: cleaned up %s (left by an interrupted save)\n", outputDir, c)
	}
	switch arg {
	case "":
		if !overwrite {
			if cks, _ := ListCheckpoints(outputDir); len(cks) > 0 {
				return "", fmt.Errorf("%s already holds checkpoints; pass --resume-from-checkpoint last to continue or --overwrite-output-dir to start over", outputDir)
			}
		}
		return "", nil
	case "last", "true":
		last, skipped, err := LastCompleteCheckpoint(outputDir)
		if err != nil {
			return "", err
		}
		for _, s := range skipped {
			fmt.Fprintf(log, "--resume-from-checkpoint last: skipping %s\n", s)
		}
		if last == "" {
			return "", fmt.Errorf("--resume-from-checkpoint last: no complete checkpoint in %s", outputDir)
		}
		return last, nil
	}
	if missing := MissingCheckpointFiles(arg); len(missing) > 0 {
		return "", fmt.Errorf("--resume-from-checkpoint %s is incomplete (no %s); pass \"last\" for the newest complete checkpoint", arg, strings.Join(missing, ", "))
	}
	return arg, nil
}
