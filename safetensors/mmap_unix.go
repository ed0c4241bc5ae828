//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package safetensors

import (
	"os"

	"golang.org/x/sys/unix"
)

// mmapFile maps the whole file read-only. The mapping outlives fh.
func mmapFile(fh *os.File, size int64) ([]byte, func() error, error) {
	b, err := unix.Mmap(int(fh.Fd()), 0, int(size), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return nil, nil, err
	}
	return b, func() error { return unix.Munmap(b) }, nil
}
