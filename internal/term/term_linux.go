// Package term tells whether a file is an interactive terminal, for
// progress bars and colour that must not reach logs or pipes.
//go:build linux

package term

import (
	"os"

	"golang.org/x/sys/unix"
)

// IsTerminal reports whether f is a terminal. TCGETS succeeds only on a
// tty, unlike a ModeCharDevice check, which /dev/null also passes.
func IsTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}
