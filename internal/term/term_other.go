//go:build !linux

package term

import "os"

// IsTerminal approximates a tty check where TCGETS is not available: a
// character device that is not the null device.
func IsTerminal(f *os.File) bool {
	fi, err := f.Stat()
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return false
	}
	return f.Name() != os.DevNull
}
