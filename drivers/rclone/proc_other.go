//go:build !unix

package rclone

import (
	"os"
	"os/exec"
)

// terminate kills the process: there is no SIGTERM here.
func terminate(p *os.Process) error { return p.Kill() }

var setProcAttr = func(*exec.Cmd) {}
