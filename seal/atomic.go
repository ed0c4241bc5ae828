package seal

import (
	"io"
	"os"

	"github.com/medbert/medbert/internal/atomicfile"
)

// WriteFileAtomic writes path through fill: into a new temporary file in the
// same folder, created with perm (the umask applies, as for any new file),
// then fsynced, renamed over path and the folder fsynced. A crash leaves
// either the old file or the new one, never a part of it.
func WriteFileAtomic(path string, perm os.FileMode, fill func(io.Writer) error) error {
	return atomicfile.WriteMode(path, perm, fill)
}

// SyncDir fsyncs a folder so a rename or a new file in it is durable.
// Platforms that cannot fsync a folder report success.
func SyncDir(dir string) error { return atomicfile.SyncDir(dir) }
