package posixfs

import (
	"context"
	"errors"
	"io"
	"iter"
	"math/rand/v2"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

// directReadMax is the largest Range size that Load reads without asking
// for the file size first; larger sizes are clamped to the size so that the
// buffer is never bigger than the value.
const directReadMax = 1 << 20

// Mkdir creates the directory name and its parents; an existing directory
// is accepted, a file in the way is kv.ErrExists. With WithFsync, the
// directories are durable when it returns.
func (d *Driver) Mkdir(ctx context.Context, name string) error {
	const op = kv.OpMkdir
	r, err := d.begin(ctx, op, name, nil)
	if err != nil {
		return err
	}
	if err := d.mkdirAll(r, name); err != nil {
		return wrapInTheWay(op, name, err)
	}
	return nil
}

// mkdirAll makes the directory dir and its missing parents. With fsync on
// it then syncs the parent of every directory it made, so that their
// entries are durable: one fsync for a pre-created leaf, none when dir was
// there already (a concurrent call that made it syncs it).
func (d *Driver) mkdirAll(r *os.Root, dir string) error {
	if dir == "" {
		return nil
	}
	if !d.fsync {
		return r.MkdirAll(dir, dirPerm)
	}
	top := "" // the topmost directory missing
	for p := dir; p != ""; p, _ = split(p) {
		if _, err := r.Lstat(p); err == nil {
			break
		}
		top = p
	}
	if err := r.MkdirAll(dir, dirPerm); err != nil || top == "" {
		return err
	}
	for p := dir; ; {
		parent, _ := split(p)
		if err := d.syncPath(r, parent); err != nil {
			return err
		}
		if p == top {
			return nil
		}
		p = parent
	}
}

// syncPath syncs the directory dir of the store ("" is the base).
func (d *Driver) syncPath(r *os.Root, dir string) error {
	f, err := r.Open(dirPath(dir))
	if err != nil {
		return err
	}
	defer f.Close()
	return d.sync(f)
}

// syncDir syncs the directory of a handle, when fsync is on.
func (d *Driver) syncDir(h *dirHandle) error {
	if !d.fsync {
		return nil
	}
	f, err := h.dir()
	if err != nil {
		return err
	}
	return d.sync(f)
}

// Rmdir removes the empty directory name; a missing one is kv.ErrNotFound,
// a non-empty one kv.ErrExists.
func (d *Driver) Rmdir(ctx context.Context, name string) error {
	const op = kv.OpRmdir
	r, err := d.begin(ctx, op, name, nil)
	if err != nil {
		return err
	}
	fi, err := r.Lstat(name)
	if err != nil {
		return wrap(op, name, err)
	}
	if !fi.IsDir() {
		return backendkit.NewError(op, name, nil, errors.New("not a directory"))
	}
	if err := r.Remove(name); err != nil {
		return wrap(op, name, err)
	}
	d.dirs.forget(name)
	return nil
}

// Info describes name, with the access time from the file system. A missing
// item gives Exists == false and no error.
func (d *Driver) Info(ctx context.Context, name string, opts ...kv.Option) (kv.ItemInfo, error) {
	const op = kv.OpInfo
	r, err := d.begin(ctx, op, name, opts)
	if err != nil {
		return kv.ItemInfo{}, err
	}
	var fi os.FileInfo
	if name == "" {
		fi, err = r.Stat(".")
	} else {
		err = d.dirs.do(name, func(dir *dirHandle, file string) (err error) {
			fi, err = dir.root.Stat(file)
			return err
		})
	}
	if err != nil {
		if isMissing(err) {
			return kv.ItemInfo{Name: name}, nil
		}
		return kv.ItemInfo{}, wrap(op, name, err)
	}
	return itemInfo(name, fi), nil
}

// Load returns the value of name, or the part that a kv.Range selects.
func (d *Driver) Load(ctx context.Context, name string, opts ...kv.Option) ([]byte, error) {
	const op = kv.OpLoad
	if _, err := d.begin(ctx, op, name, opts, kv.KindRange); err != nil {
		return nil, err
	}
	offset, size, partial := backendkit.RangeOf(opts)
	if !partial {
		var value []byte
		err := d.dirs.do(name, func(dir *dirHandle, file string) (err error) {
			value, err = dir.root.ReadFile(file)
			return err
		})
		if err != nil {
			return nil, wrap(op, name, err)
		}
		return value, nil
	}
	f, err := d.open(op, name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if offset < 0 || size < 0 || size > directReadMax {
		fi, err := f.Stat()
		if err != nil {
			return nil, wrap(op, name, err)
		}
		start, end := backendkit.ClampRange(fi.Size(), offset, size)
		offset, size = start, end-start
	}
	value := make([]byte, size)
	n, err := f.ReadAt(value, offset)
	if err != nil && err != io.EOF {
		return nil, wrap(op, name, err)
	}
	return value[:n], nil
}

// Store writes value to a temporary file next to name and renames it over
// name, so that readers see the old value or the new one. Missing parent
// directories are created when the first attempt finds them missing. With
// WithFsync, the value and its name are durable when it returns.
func (d *Driver) Store(ctx context.Context, name string, value []byte, opts ...kv.Option) error {
	const op = kv.OpStore
	r, err := d.begin(ctx, op, name, opts)
	if err != nil {
		return err
	}
	write := func(dir *dirHandle, file string) error {
		_, err := d.write(dir, file, value, nil)
		return err
	}
	err = d.dirs.do(name, write)
	if err != nil && isMissing(err) {
		err = d.retryInNewDir(r, name, write)
	}
	if err != nil {
		return wrapInTheWay(op, name, err)
	}
	return nil
}

// retryInNewDir creates the directory of name, which write found missing,
// and runs write once more.
func (d *Driver) retryInNewDir(r *os.Root, name string, write func(dir *dirHandle, file string) error) error {
	dir, _ := split(name)
	if err := d.mkdirAll(r, dir); err != nil {
		return err
	}
	return d.dirs.do(name, write)
}

// write stores a value as file in dir: it writes a new temporary file, with
// value, or with what src holds when src is not nil, syncs it when fsync is
// on, renames it over file and then syncs dir. On any failure it removes
// the temporary. made reports whether it made the temporary, that is,
// whether it failed only after it began to read src.
func (d *Driver) write(dir *dirHandle, file string, value []byte, src io.Reader) (made bool, err error) {
	tmp := tempName(file)
	f, err := dir.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, filePerm)
	if err != nil {
		return false, err
	}
	if src == nil {
		_, err = f.Write(value)
	} else {
		_, err = io.Copy(f, src)
	}
	if err == nil && d.fsync {
		err = d.sync(f)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = dir.root.Rename(tmp, file)
	}
	if err != nil {
		_ = dir.root.Remove(tmp)
		return true, err
	}
	// Make the rename durable.
	return true, d.syncDir(dir)
}

// Delete removes the item name; a missing item is kv.ErrNotFound, and a
// directory is refused (see Rmdir). With WithFsync, the removal is durable
// when it returns.
func (d *Driver) Delete(ctx context.Context, name string, opts ...kv.Option) error {
	const op = kv.OpDelete
	if _, err := d.begin(ctx, op, name, opts); err != nil {
		return err
	}
	err := d.dirs.do(name, func(dir *dirHandle, file string) error {
		if err := removeFile(dir, file); err != nil {
			return err
		}
		return d.syncDir(dir)
	})
	if err == errIsDir {
		return backendkit.NewError(op, name, nil, err)
	}
	if err != nil {
		return wrap(op, name, err)
	}
	return nil
}

// errIsDir is the cause when Delete is given a directory.
var errIsDir = errors.New("is a directory, not an item")

// Move renames from to to, overwriting to and creating its missing parent
// directories; a missing from is kv.ErrNotFound. With WithFsync, the
// directories of both names are synced before it returns.
func (d *Driver) Move(ctx context.Context, from, to string, opts ...kv.Option) error {
	const op = kv.OpMove
	if err := d.lc.BeginMove(ctx, from, to, opts); err != nil {
		return err
	}
	r, err := d.openRoot(op, from)
	if err != nil {
		return err
	}
	defer d.dirs.forget(from) // in case from is a directory
	fromDir, fromFile := split(from)
	toDir, toFile := split(to)
	if toDir == fromDir {
		// In one directory, as a soft delete is: rename there.
		err := d.dirs.do(from, func(dir *dirHandle, _ string) error {
			if err := dir.root.Rename(fromFile, toFile); err != nil {
				return err
			}
			return d.syncDir(dir)
		})
		if err != nil {
			return wrap(op, from, err)
		}
		return nil
	}
	err = r.Rename(from, to)
	if err != nil && errors.Is(err, os.ErrNotExist) {
		// Either from is missing, or the directory of to.
		if _, serr := r.Lstat(from); serr != nil {
			return wrap(op, from, serr)
		}
		if err := d.mkdirAll(r, toDir); err != nil {
			return wrapInTheWay(op, to, err)
		}
		err = r.Rename(from, to)
	}
	if err != nil {
		return wrap(op, from, err)
	}
	if d.fsync {
		for _, dir := range []string{toDir, fromDir} {
			if err := d.syncPath(r, dir); err != nil {
				return wrap(op, from, err)
			}
		}
	}
	return nil
}

// List yields the entries of the directory name (the root for ""), sorted
// by name, skipping names that are not valid (temporary and hidden files,
// foreign files) and symbolic links that lead outside the store or nowhere.
// A missing directory yields kv.ErrNotFound.
func (d *Driver) List(ctx context.Context, name string, opts ...kv.Option) iter.Seq2[kv.ItemInfo, error] {
	name = backendkit.ListDir(name)
	const op = kv.OpList
	r, err := d.begin(ctx, op, name, opts)
	if err != nil {
		return backendkit.ErrorSeq(err)
	}
	return func(yield func(kv.ItemInfo, error) bool) {
		items, err := listDir(r, name)
		if err != nil {
			yield(kv.ItemInfo{}, wrap(op, name, err))
			return
		}
		backendkit.SliceSeq(ctx, op, name, items)(yield)
	}
}

// listDir reads the directory name and returns its valid entries, sorted.
func listDir(r *os.Root, name string) ([]kv.ItemInfo, error) {
	f, err := r.Open(dirPath(name))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	entries, err := f.ReadDir(-1)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(entries, func(a, b os.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	items := make([]kv.ItemInfo, 0, len(entries))
	for _, e := range entries {
		if !kv.IsValidName(e.Name()) {
			continue
		}
		var fi os.FileInfo
		switch t := e.Type(); {
		case t.IsRegular() || t.IsDir():
			fi, err = e.Info()
		case t&os.ModeSymlink != 0:
			// Followed through the root, so only if it stays inside.
			fi, err = r.Stat(path.Join(name, e.Name()))
		default:
			continue
		}
		if err != nil || !(fi.Mode().IsRegular() || fi.IsDir()) {
			continue // gone meanwhile, dangling, or leading outside
		}
		items = append(items, itemInfo(e.Name(), fi))
	}
	return items, nil
}

// Hash returns the hex digest of the value of name (see backendkit.Hash).
func (d *Driver) Hash(ctx context.Context, name, algorithm string, opts ...kv.Option) (string, error) {
	return backendkit.DriverHash(ctx, &d.lc, d, name, algorithm, opts...)
}

// Defrag builds a new item from blocks of existing items (see backendkit.Defrag).
func (d *Driver) Defrag(ctx context.Context, sources []kv.Block, opts ...kv.Option) (string, error) {
	return backendkit.DriverDefrag(ctx, &d.lc, d, sources, opts...)
}

// Quota reports that neither limit nor usage is tracked.
func (d *Driver) Quota(ctx context.Context) (kv.Quota, error) {
	return backendkit.DriverQuota(ctx, &d.lc)
}

// begin is the frame of an item call (backendkit.Lifecycle.Begin) that also
// returns the open root of the store.
func (d *Driver) begin(ctx context.Context, op kv.Op, name string, opts []kv.Option, allowed ...kv.OptionKind) (*os.Root, error) {
	if err := d.lc.Begin(ctx, op, name, opts, allowed...); err != nil {
		return nil, err
	}
	return d.openRoot(op, name)
}

// itemInfo describes an existing file or directory.
func itemInfo(name string, fi os.FileInfo) kv.ItemInfo {
	info := kv.ItemInfo{Name: name, Exists: true, Directory: fi.IsDir(), Atime: atime(fi)}
	if !info.Directory {
		info.Size = fi.Size()
	}
	return info
}

// tempName returns a fresh temporary name next to name: name.<random>.tmp.
// It allocates only the result.
func tempName(name string) string {
	var buf [kv.MaxNameLen + 32]byte
	b := append(buf[:0], name...)
	b = append(b, '.')
	b = strconv.AppendUint(b, rand.Uint64(), 36)
	b = append(b, kv.TempSuffix...)
	return string(b)
}

// dirPath returns the path of the directory name in the root ("." for "").
func dirPath(name string) string {
	if name == "" {
		return "."
	}
	return name
}

// isMissing reports whether err says that a path does not exist: it, or a
// parent that is a file.
func isMissing(err error) bool {
	return errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}

// wrapInTheWay is wrap for calls that create: a file where a directory
// should be is kv.ErrExists.
func wrapInTheWay(op kv.Op, name string, err error) error {
	if errors.Is(err, syscall.ENOTDIR) {
		return backendkit.NewError(op, name, kv.ErrExists, err)
	}
	return wrap(op, name, err)
}
