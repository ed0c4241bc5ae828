//go:build unix

package seal

func isSyncDirUnsupported(error) bool { return false }
