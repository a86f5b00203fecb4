package posixfs

import (
	"os"
	"syscall"
)

// removeFile removes the file (never a directory: that is errIsDir) file
// in dir with one unlinkat, which does not follow a symbolic link.
func removeFile(dir *dirHandle, file string) error {
	f, err := dir.dir()
	if err != nil {
		return err
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var uerr error
	if err := rc.Control(func(fd uintptr) { uerr = syscall.Unlinkat(int(fd), file) }); err != nil {
		return err
	}
	switch uerr {
	case nil:
		return nil
	case syscall.EISDIR:
		return errIsDir
	}
	return &os.PathError{Op: "unlinkat", Path: file, Err: uerr}
}
