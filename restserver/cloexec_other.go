//go:build !unix

package restserver

// closeOnExec does nothing where there is no exec.
func closeOnExec(int) {}
