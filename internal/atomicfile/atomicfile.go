// Package atomicfile writes a file so that a crash leaves either the old
// file or the complete new one, never a torn one: a temporary file in the
// same folder, fsync, rename over the target, fsync of the folder.
//
// The temporary file is created with mode 0644 and the process umask
// applies to it (hospital sites run with umask 077 and get 0600); the mode
// is never forced afterwards. safetensors.WriteAtomic is the API the rest
// of the module calls; this package exists so the tokenizer and the
// safetensors writer share one implementation without importing each
// other.
package atomicfile

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Mode is the permission a new file is created with, before the umask.
const Mode fs.FileMode = 0o644

// Write writes path with fill. Errors name path, never the temporary file,
// and carry no package prefix (callers add their own context).
func Write(path string, fill func(io.Writer) error) error { return WriteMode(path, Mode, fill) }

// WriteBytes writes data as path.
func WriteBytes(path string, data []byte) error {
	return Write(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// WriteMode is Write with another creation mode (0600 for key files); the
// umask still applies.
func WriteMode(path string, perm fs.FileMode, fill func(io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	tmp, err := createTemp(dir, "."+filepath.Base(path)+".tmp-", perm)
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, PathErrCause(err))
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = fill(tmp); err != nil {
		return fmt.Errorf("%s: write: %w", path, err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("%s: fsync: %w", path, PathErrCause(err))
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("%s: close: %w", path, PathErrCause(err))
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, PathErrCause(err))
	}
	return SyncDir(dir)
}

// createTemp is os.CreateTemp with mode perm instead of 0600, so the
// umask (not this package) decides who may read the result.
func createTemp(dir, prefix string, perm fs.FileMode) (*os.File, error) {
	var b [8]byte
	for try := 0; ; try++ {
		if _, err := rand.Read(b[:]); err != nil {
			return nil, err
		}
		name := filepath.Join(dir, prefix+hex.EncodeToString(b[:]))
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, perm)
		if errors.Is(err, fs.ErrExist) && try < 100 {
			continue
		}
		return f, err
	}
}

// PathErrCause strips the operation and path (a temporary file's name)
// from a *fs.PathError or *os.LinkError, keeping the cause, e.g. "no such
// file or directory".
func PathErrCause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}

// SyncDir makes a rename inside dir durable. Some platforms and
// filesystems cannot fsync a directory; that is not an error there.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return nil
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !isSyncUnsupported(err) {
		return fmt.Errorf("fsync %s: %w", dir, err)
	}
	return nil
}

// CreateNew writes data to a new file path with mode perm (the umask
// applies), fsynced; it refuses to replace an existing file (the error
// wraps fs.ErrExist) and removes what it wrote on failure. For keys:
// overwriting one makes everything sealed or signed with it unusable.
func CreateNew(path string, perm fs.FileMode, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return err
	}
	return SyncDir(filepath.Dir(path))
}
