//go:build !linux

package train

import "os"

// isTerminal approximates a tty check where TCGETS is not available: a
// character device that is not the null device.
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return false
	}
	return f.Name() != os.DevNull
}
