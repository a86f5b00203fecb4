//go:build unix

package bench

import "syscall"

// syncDisks writes back the dirty data of every file system.
func syncDisks() { syscall.Sync() }
