//go:build linux

package train

import (
	"os"

	"golang.org/x/sys/unix"
)

// isTerminal reports whether f is a terminal. TCGETS succeeds only on a
// tty, unlike a ModeCharDevice check, which /dev/null also passes.
func isTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}
