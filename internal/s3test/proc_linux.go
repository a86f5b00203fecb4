package s3test

import (
	"os/exec"
	"syscall"
)

// On Linux the kernel kills versitygw if the test binary that started it
// dies without stopping it (killed by its timeout, for example).
func init() {
	setProcAttr = func(cmd *exec.Cmd) {
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	}
}
