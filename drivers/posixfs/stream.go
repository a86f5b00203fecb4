package posixfs

import (
	"context"
	"io"
	"os"
	"syscall"

	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

// LoadStream opens the file of name and reads it, or the part that a
// kv.Range selects, as a stream. The reader holds the file open, so it
// reads the version it opened to its end even if name is overwritten or
// deleted meanwhile; Close closes the file.
func (d *Driver) LoadStream(ctx context.Context, name string, opts ...kv.Option) (io.ReadCloser, error) {
	const op = kv.OpLoad
	if _, err := d.begin(ctx, op, name, opts, kv.KindRange); err != nil {
		return nil, err
	}
	f, err := d.open(op, name)
	if err != nil {
		return nil, err
	}
	rd := &fileReader{f: f, r: f, name: name}
	fi, err := f.Stat()
	if err == nil && fi.IsDir() {
		err = &os.PathError{Op: "read", Path: name, Err: syscall.EISDIR}
	}
	if offset, size, ok := backendkit.RangeOf(opts); ok && err == nil {
		start, end := backendkit.ClampRange(fi.Size(), offset, size)
		if _, err = f.Seek(start, io.SeekStart); err == nil {
			rd.r = &io.LimitedReader{R: f, N: end - start}
		}
	}
	if err != nil {
		f.Close()
		return nil, wrap(op, name, err)
	}
	return rd, nil
}

// open opens the file of the item name for reading, for op.
func (d *Driver) open(op kv.Op, name string) (*os.File, error) {
	var f *os.File
	err := d.dirs.do(name, func(dir *dirHandle, file string) (err error) {
		f, err = dir.root.Open(file)
		return err
	})
	if err != nil {
		return nil, wrap(op, name, err)
	}
	return f, nil
}

// fileReader is the stream of LoadStream: the open file, or a part of it.
type fileReader struct {
	f    *os.File
	r    io.Reader // f, or f limited to the range
	name string
}

func (r *fileReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF {
		err = wrap(kv.OpLoad, r.name, err)
	}
	return n, err
}

// WriteTo copies the rest of the value to w with io.Copy from the file, so
// that the kernel moves the bytes where it can (copy_file_range to a file,
// sendfile or splice to a socket).
func (r *fileReader) WriteTo(w io.Writer) (int64, error) { return io.Copy(w, r.r) }

// Close closes the file.
func (r *fileReader) Close() error { return r.f.Close() }

// StoreStream writes what src holds to a temporary file next to name, as
// Store does, and renames it over name once src has given the whole value
// (backendkit.Source): a failure, a size that lies or a cancelled context
// removes the temporary and leaves name as it was. A src that stalls is
// interrupted by cancelling ctx when it has a read deadline
// (backendkit.Interruptible). With WithFsync, the value and its name are
// durable when it returns.
func (d *Driver) StoreStream(ctx context.Context, name string, src io.Reader, size int64, opts ...kv.Option) error {
	const op = kv.OpStore
	r, err := d.begin(ctx, op, name, opts)
	if err != nil {
		return err
	}
	in, release := backendkit.Interruptible(ctx, src)
	defer release()
	in = backendkit.Source(ctx, name, in, size)
	// Once the temporary is made, src is being read: whatever fails then
	// (late) ends the call, never a second attempt that would read src
	// from where the first one stopped.
	var late error
	write := func(dir *dirHandle, file string) error {
		made, err := d.write(dir, file, nil, in)
		if made {
			late = err
			return nil
		}
		return err
	}
	err = d.dirs.do(name, write)
	if err != nil && isMissing(err) {
		err = d.retryInNewDir(r, name, write)
	}
	if err != nil {
		return wrapInTheWay(op, name, err)
	}
	if late != nil {
		// Source's errors are already *kv.Error (src's own error, the
		// context's, kv.ErrSizeMismatch) and stay as they are.
		return backendkit.FSError(op, name, late)
	}
	return nil
}
