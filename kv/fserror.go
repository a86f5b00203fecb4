package kv

import (
	"errors"
	"io/fs"
)

// FSError returns the error of a file system call (local or remote) for op
// on name, wrapped with the sentinel it means: fs.ErrNotExist is
// ErrNotFound, fs.ErrExist is ErrExists, fs.ErrPermission is
// ErrPermission. An *Error passes as it is.
func FSError(op Op, name string, err error) error {
	var kerr *Error
	if errors.As(err, &kerr) {
		return err
	}
	var kind error
	switch {
	case errors.Is(err, fs.ErrNotExist):
		kind = ErrNotFound
	case errors.Is(err, fs.ErrExist):
		kind = ErrExists
	case errors.Is(err, fs.ErrPermission):
		kind = ErrPermission
	}
	return NewError(op.String(), name, kind, err)
}
