//go:build windows || plan9

package safetensors

// isSyncUnsupported: directories cannot be fsynced here.
func isSyncUnsupported(error) bool { return true }
