//go:build !windows && !plan9

package atomicfile

import (
	"errors"
	"syscall"
)

// isSyncUnsupported: filesystems that cannot fsync a directory say EINVAL.
func isSyncUnsupported(err error) bool {
	return errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOTSUP)
}
