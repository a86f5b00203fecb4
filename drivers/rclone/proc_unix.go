//go:build unix

package rclone

import (
	"os"
	"os/exec"
	"syscall"
)

// terminate asks the process to exit (SIGTERM).
func terminate(p *os.Process) error { return p.Signal(syscall.SIGTERM) }

// setProcAttr is a no-op where the parent-death signal does not exist.
var setProcAttr = func(*exec.Cmd) {}
