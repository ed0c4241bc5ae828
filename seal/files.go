package seal

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Ext is appended to the name of every file in an encrypted folder.
const Ext = ".sealed"

// File modes for outputs, before the umask: sealed files are ciphertext and
// may be readable by the group; decrypted files may hold patient data or
// licensed weights and stay private to their owner.
const (
	sealedMode    = 0o644
	plaintextMode = 0o600
	sealedDirMode = 0o755
	plainDirMode  = 0o700
)

// EncryptFile seals the file in into out (atomically, mode 0644 before the
// umask).
func EncryptFile(in, out string, key Key) error {
	src, err := os.Open(in)
	if err != nil {
		return err
	}
	defer src.Close()
	return WriteFileAtomic(out, sealedMode, func(w io.Writer) error { return sealTo(w, src, key) })
}

// DecryptFile opens the sealed file in into out (atomically, mode 0600
// before the umask). Nothing is renamed into place unless every chunk
// authenticated.
func DecryptFile(in, out string, key Key) error {
	src, err := os.Open(in)
	if err != nil {
		return err
	}
	defer src.Close()
	return WriteFileAtomic(out, plaintextMode, func(w io.Writer) error {
		if err := openTo(w, src, key); err != nil {
			return fmt.Errorf("%s: %w", in, err)
		}
		return nil
	})
}

func sealTo(w io.Writer, r io.Reader, key Key) error {
	bw := bufio.NewWriterSize(w, 256<<10)
	sw, err := NewWriter(bw, key)
	if err != nil {
		return err
	}
	if _, err := io.Copy(sw, r); err != nil {
		return err
	}
	if err := sw.Close(); err != nil {
		return err
	}
	return bw.Flush()
}

func openTo(w io.Writer, r io.Reader, key Key) error {
	sr, err := NewReader(r, key)
	if err != nil {
		return err
	}
	_, err = io.Copy(w, sr)
	return err
}

// ReadFile opens the sealed file path entirely into memory and returns its
// plaintext: the way to load encrypted model weights without a plaintext
// copy ever touching the disk. The buffer is sized from the file size, so
// the plaintext is held once.
func ReadFile(path string, key Key) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var size int64
	if st, err := f.Stat(); err == nil {
		size = st.Size()
	}
	b, err := readAll(f, key, size)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return b, nil
}

// readAll decrypts r whose sealed size is size (0 if unknown).
func readAll(r io.Reader, key Key, size int64) ([]byte, error) {
	sr, err := NewReader(r, key)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if n := PlaintextSize(size, sr.ChunkSize()); n > 0 {
		buf.Grow(int(n) + 1) // +1: ReadFrom's final probe then needs no regrowth
	}
	if _, err := buf.ReadFrom(sr); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// PlaintextSize is the plaintext length of a well-formed sealed stream of
// sealedSize bytes with the given chunk size, or -1 if no stream has that
// size.
func PlaintextSize(sealedSize int64, chunkSize int) int64 {
	body := sealedSize - HeaderSize
	full := int64(chunkSize + Overhead)
	if body < Overhead || chunkSize < 1 {
		return -1
	}
	chunks := (body + full - 1) / full
	if body%full != 0 && body%full < Overhead {
		return -1
	}
	return body - chunks*Overhead
}

// EncryptDir seals every regular file under in (recursively, following
// symlinks to files, as in a Hugging Face cache snapshot) into a new folder
// out as NAME.sealed. out must not exist; it appears complete or not at all
// (built under a temporary name, then renamed).
func EncryptDir(in, out string, key Key) error {
	return convertDir(in, out, sealedDirMode, func(rel string) (string, error) { return rel + Ext, nil },
		func(dst io.Writer, src io.Reader) error { return sealTo(dst, src, key) }, sealedMode)
}

// DecryptDir is the inverse of EncryptDir: every file under in must be a
// NAME.sealed file; out (new) receives NAME, mode 0600, folders 0700.
func DecryptDir(in, out string, key Key) error {
	return convertDir(in, out, plainDirMode, func(rel string) (string, error) {
		if !strings.HasSuffix(rel, Ext) || len(rel) == len(Ext) {
			return "", fmt.Errorf("%s is not a %s file; an encrypted folder holds only sealed files", filepath.Join(in, rel), Ext)
		}
		return strings.TrimSuffix(rel, Ext), nil
	}, func(dst io.Writer, src io.Reader) error { return openTo(dst, src, key) }, plaintextMode)
}

func convertDir(in, out string, dirMode os.FileMode, rename func(string) (string, error), conv func(io.Writer, io.Reader) error, mode os.FileMode) (err error) {
	if st, err := os.Stat(in); err != nil {
		return err
	} else if !st.IsDir() {
		return fmt.Errorf("%s is not a folder", in)
	}
	if _, err := os.Lstat(out); err == nil {
		return fmt.Errorf("%s already exists; refusing to overwrite", out)
	}
	tmp := fmt.Sprintf("%s.tmp-%d", out, time.Now().UnixNano())
	if err := os.Mkdir(tmp, dirMode); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	err = filepath.WalkDir(in, func(path string, d fs.DirEntry, werr error) error {
		if werr != nil {
			return werr
		}
		rel, err := filepath.Rel(in, path)
		if err != nil || rel == "." {
			return err
		}
		st, err := os.Stat(path) // follows symlinks
		if err != nil {
			return err
		}
		switch {
		case st.IsDir() && d.IsDir():
			return os.Mkdir(filepath.Join(tmp, rel), dirMode)
		case st.IsDir():
			return fmt.Errorf("%s: symlinked folders are not supported", path)
		case !st.Mode().IsRegular():
			return fmt.Errorf("%s: not a regular file", path)
		}
		name, err := rename(rel)
		if err != nil {
			return err
		}
		return convertOne(path, filepath.Join(tmp, name), mode, conv)
	})
	if err != nil {
		return err
	}
	if err = SyncDir(tmp); err != nil {
		return err
	}
	if err = os.Rename(tmp, out); err != nil {
		return err
	}
	return SyncDir(filepath.Dir(out))
}

func convertOne(src, dst string, mode os.FileMode, conv func(io.Writer, io.Reader) error) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	err = conv(out, in)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("%s: %w", src, err)
	}
	return nil
}

// IsSealed reports whether the file at path starts with a seal header.
func IsSealed(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	var b [len(magic)]byte
	_, err = io.ReadFull(f, b[:])
	return err == nil && string(b[:]) == magic
}
