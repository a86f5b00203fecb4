package backendkit

import (
	"errors"
	"io/fs"

	"github.com/kvcompose/compose/kv"
)

// FSError returns the error of a file system call (local or remote) for op
// on name, wrapped with the sentinel it means: fs.ErrNotExist is
// ErrNotFound, fs.ErrExist is ErrExists, fs.ErrPermission is
// ErrPermission. An *Error passes as it is.
func FSError(op kv.Op, name string, err error) error {
	var kerr *kv.Error
	if errors.As(err, &kerr) {
		return err
	}
	var kind error
	switch {
	case errors.Is(err, fs.ErrNotExist):
		kind = kv.ErrNotFound
	case errors.Is(err, fs.ErrExist):
		kind = kv.ErrExists
	case errors.Is(err, fs.ErrPermission):
		kind = kv.ErrPermission
	}
	return NewError(op, name, kind, err)
}

// NewError returns an *Error for op on name with the sentinel kind and the
// cause err (either may be nil).
func NewError(op kv.Op, name string, kind, err error) error {
	return &kv.Error{Op: op, Name: name, Kind: kind, Err: err}
}
