package rclone

import (
	"os/exec"
	"syscall"
)

// On Linux the kernel sends rcd SIGTERM if the process that started it dies
// without stopping it (a test binary killed by its timeout, for example).
func init() {
	setProcAttr = func(cmd *exec.Cmd) {
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	}
}
