//go:build unix

package browsertest

import (
	"os/exec"
	"syscall"
)

// ownProcessGroup puts the browser and the helpers it forks in a process
// group of their own, so a timeout ends all of them, not only the parent.
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
