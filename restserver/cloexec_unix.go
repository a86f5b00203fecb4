//go:build unix

package restserver

import "syscall"

// closeOnExec keeps fd from the processes the server starts.
func closeOnExec(fd int) { syscall.CloseOnExec(fd) }
