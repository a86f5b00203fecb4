package posixfs

import (
	"context"
	"errors"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/kvcompose/compose/internal/tmpsweep"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

// Permissions of what the driver creates (before the umask).
const (
	dirPerm  = 0o755
	filePerm = 0o600
)

// Driver is a kv.Backend that keeps every item as a file below a base
// directory. All file access goes through an os.Root opened on the base, so
// no name and no symbolic link inside the store reaches outside it.
type Driver struct {
	base  string
	fsync bool
	// sync makes a file or directory durable: (*os.File).Sync, replaced
	// by tests that watch what is synced.
	sync func(*os.File) error

	lc   backendkit.Lifecycle
	root atomic.Pointer[os.Root]
	dirs dirCache // handles of the directories items are in

	sweep *tmpsweep.Sweeper // removes stale temporaries while open
}

var (
	_ kv.Backend   = (*Driver)(nil)
	_ kv.Describer = (*Driver)(nil)
)

// Option configures a Driver in New.
type Option func(*Driver)

// WithFsync makes every Store, Move and Delete durable when it returns,
// at the cost of an fsync or two per call (see the package documentation):
// Store syncs the temporary file before renaming it over the target and
// the directory after; Move and Delete sync the directories whose entries
// they changed; a directory that a Store or Move made on the way is synced
// into its parent. It is off by default; the URL query sync=true turns it
// on.
func WithFsync(on bool) Option { return func(d *Driver) { d.fsync = on } }

// New returns a closed driver for the store in the directory base, which
// must be an absolute path; it is cleaned, and the file system root itself
// is refused (Destroy would empty it). New does no I/O.
func New(base string, opts ...Option) (*Driver, error) {
	if !filepath.IsAbs(base) {
		return nil, backendkit.NewError(kv.OpNew, base, kv.ErrInvalidURL, errors.New("base directory must be an absolute path"))
	}
	base = filepath.Clean(base)
	if base == string(filepath.Separator) {
		return nil, backendkit.NewError(kv.OpNew, base, kv.ErrInvalidURL, errors.New("base directory must not be the file system root"))
	}
	d := &Driver{base: base, sync: (*os.File).Sync}
	for _, o := range opts {
		o(d)
	}
	return d, nil
}

// FromURL returns a closed driver for a URL of the form file:///abs/path
// (percent-decoded), with opts; the query sync=true adds WithFsync(true).
// A relative path, a host part, another query parameter, a fragment, or
// another scheme is a kv.ErrInvalidURL error that says which.
func FromURL(raw string, opts ...Option) (*Driver, error) {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return nil, backendkit.InvalidURL(raw, "%v", err)
	case u.Scheme != "file":
		return nil, backendkit.InvalidURL(raw, "scheme %q, want file:///abs/path", u.Scheme)
	case u.Opaque != "":
		return nil, backendkit.InvalidURL(raw, "relative path %q, want file:///abs/path", u.Opaque)
	case u.User != nil || u.Host != "":
		return nil, backendkit.InvalidURL(raw, "host part %q (a relative path?), want file:///abs/path with three slashes", u.Host)
	case u.ForceQuery && u.RawQuery == "":
		return nil, backendkit.InvalidURL(raw, "empty query part, want file:///abs/path or file:///abs/path?sync=true")
	case u.Fragment != "" || strings.HasSuffix(raw, "#"):
		return nil, backendkit.InvalidURL(raw, "fragment part %q, want file:///abs/path without #", u.Fragment)
	case u.Path == "":
		return nil, backendkit.InvalidURL(raw, "no path, want file:///abs/path")
	case !strings.HasPrefix(u.Path, "/"):
		return nil, backendkit.InvalidURL(raw, "relative path %q, want file:///abs/path", u.Path)
	}
	sync, err := backendkit.SyncQuery(raw, u.RawQuery)
	if err != nil {
		return nil, err
	}
	if sync {
		opts = append(opts[:len(opts):len(opts)], WithFsync(true))
	}
	return New(u.Path, opts...)
}

// Base returns the base directory of the store.
func (d *Driver) Base() string { return d.base }

// Fsync reports whether Store, Move and Delete are durable when they
// return (WithFsync, or sync=true in the URL).
func (d *Driver) Fsync() bool { return d.fsync }

// Properties describes the driver: scheme "file", local, and it benefits
// from pre-created directories (they keep mkdir off the Store path).
func (d *Driver) Properties() kv.Properties {
	return kv.Properties{Scheme: "file", Precreate: true}
}

// Create makes the base directory and its missing parents and writes
// backendkit.StoreRecord in it. An existing empty directory, or an empty store
// (nothing but hidden records at its base, backendkit.IsStoreRecord), is accepted;
// a non-empty one (temporary files count) is kv.ErrExists.
func (d *Driver) Create(ctx context.Context) error {
	const op = kv.OpCreate
	return d.lc.Transition(ctx, kv.OpCreate, func() error {
		if err := os.MkdirAll(d.base, dirPerm); err != nil {
			if errors.Is(err, syscall.ENOTDIR) {
				return backendkit.NewError(op, "", kv.ErrExists, err)
			}
			return wrap(op, "", err)
		}
		f, err := os.Open(d.base)
		if err != nil {
			return wrap(op, "", err)
		}
		defer f.Close()
		for {
			names, err := f.Readdirnames(16)
			for _, n := range names {
				if !backendkit.IsStoreRecord(n) {
					return backendkit.NewError(op, "", kv.ErrExists, errors.New(d.base+" is not empty"))
				}
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				return wrap(op, "", err)
			}
		}
		if err := os.WriteFile(filepath.Join(d.base, backendkit.StoreRecord), []byte(backendkit.StoreRecordText), filePerm); err != nil {
			return wrap(op, backendkit.StoreRecord, err)
		}
		return nil
	})
}

// Destroy removes the store and everything in it; a missing store is
// kv.ErrNoStore, a directory that is not a store (backendkit.Recognize)
// kv.ErrNotAStore, and nothing is removed then. Symbolic links are removed, never followed. When the base
// directory itself cannot be removed but everything in it could, Destroy
// succeeds and leaves it empty.
func (d *Driver) Destroy(ctx context.Context) error {
	const op = kv.OpDestroy
	return d.lc.Transition(ctx, kv.OpDestroy, func() error {
		r, err := d.openStore(ctx, op)
		if err != nil {
			return err
		}
		defer r.Close()
		dir, err := r.Open(".")
		if err != nil {
			return wrap(op, "", err)
		}
		names, err := dir.Readdirnames(-1)
		dir.Close()
		if err != nil {
			return wrap(op, "", err)
		}
		for _, n := range names {
			if err := r.RemoveAll(n); err != nil {
				return wrap(op, n, err)
			}
		}
		// The contents are gone; a base that cannot go itself (a mount
		// point, a read-only parent) stays behind, empty.
		_ = os.Remove(d.base)
		return nil
	})
}

// Open opens the store; a missing base, or one that is not a directory, is
// kv.ErrNoStore, a directory that is not a store (backendkit.Recognize)
// kv.ErrNotAStore. It starts a sweep in the background that removes the
// temporaries of killed writers once stale (see internal/tmpsweep).
func (d *Driver) Open(ctx context.Context) error {
	const op = kv.OpOpen
	return d.lc.Transition(ctx, kv.OpOpen, func() error {
		r, err := d.openStore(ctx, op)
		if err != nil {
			return err
		}
		d.root.Store(r)
		d.dirs.reset(r)
		d.sweep = tmpsweep.Start(sweepFS{r}, time.Now())
		return nil
	})
}

// Close closes the store.
func (d *Driver) Close(ctx context.Context) error {
	const op = kv.OpClose
	return d.lc.Transition(ctx, kv.OpClose, func() error {
		d.sweep.Stop()
		d.dirs.reset(nil)
		if r := d.root.Swap(nil); r != nil {
			if err := r.Close(); err != nil {
				return wrap(op, "", err)
			}
		}
		return nil
	})
}

// openBase opens an os.Root on the base directory; a missing base or one
// that is not a directory is kv.ErrNoStore.
func (d *Driver) openBase(op kv.Op) (*os.Root, error) {
	fi, err := os.Stat(d.base)
	switch {
	case errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ENOTDIR):
		return nil, backendkit.NewError(op, "", kv.ErrNoStore, err)
	case err != nil:
		return nil, wrap(op, "", err)
	case !fi.IsDir():
		return nil, backendkit.NewError(op, "", kv.ErrNoStore, errors.New(d.base+" is not a directory"))
	}
	r, err := os.OpenRoot(d.base)
	if err != nil {
		return nil, wrap(op, "", err)
	}
	return r, nil
}

// openStore is openBase that also checks that the base is a store.
func (d *Driver) openStore(ctx context.Context, op kv.Op) (*os.Root, error) {
	r, err := d.openBase(op)
	if err != nil {
		return nil, err
	}
	readDir := func(_ context.Context, dir string) ([]backendkit.DirEntry, error) {
		f, err := r.Open(dirPath(dir))
		if err != nil {
			return nil, wrap(op, dir, err)
		}
		defer f.Close()
		entries, err := f.ReadDir(-1)
		if err != nil {
			return nil, wrap(op, dir, err)
		}
		out := make([]backendkit.DirEntry, len(entries))
		for i, e := range entries {
			out[i] = backendkit.DirEntry{Name: e.Name(), Dir: e.IsDir()}
		}
		return out, nil
	}
	if err := backendkit.Recognize(ctx, op, d.base, readDir); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

// openRoot returns the open root for an item call, or the kv.ErrNotOpen
// error when the store was closed since the call's frame checked it.
func (d *Driver) openRoot(op kv.Op, name string) (*os.Root, error) {
	if r := d.root.Load(); r != nil {
		return r, nil
	}
	return nil, backendkit.NewError(op, name, kv.ErrNotOpen, nil)
}

// wrap maps an os error to the kv sentinel it means (see backendkit.FSError; a
// parent that is a file also means not found) and keeps it as the cause.
func wrap(op kv.Op, name string, err error) error {
	if isMissing(err) {
		return backendkit.NewError(op, name, kv.ErrNotFound, err)
	}
	return backendkit.FSError(op, name, err)
}
