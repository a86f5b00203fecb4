//go:build !linux

package posixfs

// removeFile removes the file (never a directory: that is errIsDir) file
// in dir.
func removeFile(dir *dirHandle, file string) error {
	fi, err := dir.root.Lstat(file)
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return errIsDir
	}
	return dir.root.Remove(file)
}
