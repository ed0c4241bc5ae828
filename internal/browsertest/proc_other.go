//go:build !unix

package browsertest

import "os/exec"

// ownProcessGroup is a no-op where process groups do not exist: the
// context kills the browser's main process only.
func ownProcessGroup(cmd *exec.Cmd) {}
