package seal

import (
	"bytes"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"time"
)

// DirFS returns the encrypted folder dir (as written by EncryptDir) as a
// read-only fs.FS of plaintext files: Open("config.json") decrypts
// dir/config.json.sealed into memory and serves it from there, so a model
// loader reading through it never writes plaintext to disk. Each Open
// decrypts the whole file; ReadFile returns the buffer without a copy.
// Folders cannot be opened or listed: name the files.
func DirFS(dir string, key Key) fs.ReadFileFS { return dirFS{dir: dir, key: key} }

type dirFS struct {
	dir string
	key Key
}

func (d dirFS) ReadFile(name string) ([]byte, error) {
	if !fs.ValidPath(name) || name == "." {
		return nil, &fs.PathError{Op: "read", Path: name, Err: fs.ErrInvalid}
	}
	b, err := ReadFile(filepath.Join(d.dir, filepath.FromSlash(name)+Ext), d.key)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, &fs.PathError{Op: "read", Path: name, Err: fs.ErrNotExist}
		}
		return nil, &fs.PathError{Op: "read", Path: name, Err: err}
	}
	return b, nil
}

func (d dirFS) Open(name string) (fs.File, error) {
	b, err := d.ReadFile(name)
	if err != nil {
		return nil, err
	}
	return &memFile{Reader: bytes.NewReader(b), name: path.Base(name), size: int64(len(b))}, nil
}

// memFile is one decrypted file held in memory.
type memFile struct {
	*bytes.Reader
	name string
	size int64
}

func (f *memFile) Stat() (fs.FileInfo, error) { return f, nil }
func (f *memFile) Close() error               { return nil }
func (f *memFile) Name() string               { return f.name }
func (f *memFile) Size() int64                { return f.size }
func (f *memFile) Mode() fs.FileMode          { return 0o400 }
func (f *memFile) ModTime() time.Time         { return time.Time{} }
func (f *memFile) IsDir() bool                { return false }
func (f *memFile) Sys() any                   { return nil }

var _ io.ReaderAt = (*memFile)(nil)
