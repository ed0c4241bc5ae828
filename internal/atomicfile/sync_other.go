//go:build windows || plan9

package atomicfile

// isSyncUnsupported: directories cannot be fsynced here.
func isSyncUnsupported(error) bool { return true }
