//go:build linux

package posixfs

import (
	"os"
	"syscall"
	"time"
)

// atime returns the access time of fi.
func atime(fi os.FileInfo) time.Time {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return time.Unix(st.Atim.Unix())
	}
	return fi.ModTime()
}
