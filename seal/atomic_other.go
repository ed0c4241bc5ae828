//go:build !unix

package seal

// Windows and others cannot fsync a folder handle.
func isSyncDirUnsupported(error) bool { return true }
