package rclone

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"math"
	"net/http"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

// entry is an item of operations/stat and operations/list.
type entry struct {
	Path  string `json:"Path"`
	Name  string `json:"Name"`
	Size  int64  `json:"Size"`
	IsDir bool   `json:"IsDir"`
}

func (e entry) info(name string) kv.ItemInfo {
	it := kv.ItemInfo{Name: name, Exists: true, Directory: e.IsDir}
	if !e.IsDir && e.Size > 0 {
		it.Size = e.Size
	}
	return it
}

// begin is the frame of an item call (backendkit.Lifecycle.Begin) that also
// returns the rcd to talk to.
func (d *Driver) begin(ctx context.Context, op kv.Op, name string, opts []kv.Option, allowed ...kv.OptionKind) (*server, error) {
	if err := d.life.Begin(ctx, op, name, opts, allowed...); err != nil {
		return nil, err
	}
	return d.server(op, name)
}

// Info describes name; a missing item has Exists == false.
func (d *Driver) Info(ctx context.Context, name string, opts ...kv.Option) (kv.ItemInfo, error) {
	s, err := d.begin(ctx, kv.OpInfo, name, opts)
	if err != nil {
		return kv.ItemInfo{}, err
	}
	defer d.names.read(name)()
	return d.stat(ctx, s, kv.OpInfo, name)
}

func (d *Driver) stat(ctx context.Context, s *server, op kv.Op, name string) (kv.ItemInfo, error) {
	var out struct {
		Item *entry `json:"item"`
	}
	err := s.call(ctx, d.cfg, "operations/stat", params{"fs": d.remote, "remote": name, "opt": listOpt}, &out)
	if err != nil {
		// "directory not found" (the base is gone) and "not a directory"
		// (a parent is a file) mean that name does not exist.
		var re *rcError
		kerr := s.kvError(op, name, err)
		if errors.Is(kerr, kv.ErrNotFound) || errors.As(err, &re) && strings.Contains(re.Msg, "not a directory") {
			return kv.ItemInfo{Name: name}, nil
		}
		return kv.ItemInfo{}, kerr
	}
	if out.Item == nil {
		return kv.ItemInfo{Name: name}, nil
	}
	return out.Item.info(name), nil
}

// Load returns the value of name, or the part that kv.Range selects,
// downloaded through rcd's --rc-serve with an HTTP Range header.
func (d *Driver) Load(ctx context.Context, name string, opts ...kv.Option) ([]byte, error) {
	s, lr, err := d.beginLoad(ctx, name, opts)
	switch {
	case err != nil:
		return nil, err
	case lr.empty:
		return []byte{}, nil
	}
	defer d.names.read(name)()
	var value []byte
	err = retry(ctx, func() error {
		v, resp, err := s.get(ctx, d.cfg, d.remote, name, lr.header, lr.limit)
		if err == nil && lr.ranged && resp.StatusCode == http.StatusOK { // Range ignored
			start, end := backendkit.ClampRange(int64(len(v)), lr.offset, lr.size)
			v = v[start:end]
		}
		value = v
		return err
	})
	if err != nil {
		return nil, s.kvError(kv.OpLoad, name, err)
	}
	return value, nil
}

// loadRange is the part of an item that Load or LoadStream asks rcd for.
type loadRange struct {
	offset, size int64 // the kv.Range, offset made absolute
	ranged       bool  // a kv.Range was given
	empty        bool  // an empty part of an item that exists: no GET
	header       string
	limit        int64 // the bytes to read at most from a 206 answer (-1: all)
}

// beginLoad begins a Load or LoadStream of name and prepares its range for
// a GET: a negative offset becomes an absolute one after a stat (a suffix
// range past the start confuses rclone: a 404 from the local backend, a
// dropped connection from :memory:), an empty range is one of an item that
// exists, and the range becomes an HTTP Range header.
func (d *Driver) beginLoad(ctx context.Context, name string, opts []kv.Option) (*server, loadRange, error) {
	s, err := d.begin(ctx, kv.OpLoad, name, opts, kv.KindRange)
	if err != nil {
		return nil, loadRange{}, err
	}
	lr := loadRange{limit: -1}
	lr.offset, lr.size, lr.ranged = backendkit.RangeOf(opts)
	switch {
	case !lr.ranged:
		return s, lr, nil
	case lr.offset < 0 || lr.size == 0:
		it, err := d.stat(ctx, s, kv.OpLoad, name)
		switch {
		case err != nil:
			return nil, loadRange{}, err
		case !it.Exists || it.Directory:
			return nil, loadRange{}, backendkit.NewError(kv.OpLoad, name, kv.ErrNotFound, nil)
		}
		start, end := backendkit.ClampRange(it.Size, lr.offset, lr.size)
		lr.offset, lr.size, lr.empty = start, end-start, start == end
	}
	if lr.size < 0 || lr.size > math.MaxInt64-lr.offset {
		lr.header = fmt.Sprintf("bytes=%d-", lr.offset)
	} else {
		lr.header, lr.limit = fmt.Sprintf("bytes=%d-%d", lr.offset, lr.offset+lr.size-1), lr.size
	}
	return s, lr, nil
}

// Store writes value under name. On remotes with real directories it
// uploads to a temporary name.<random>.tmp beside the target and renames it
// over the target, so readers never see a part; on object stores an upload
// is atomic by itself. rclone creates missing parent directories.
func (d *Driver) Store(ctx context.Context, name string, value []byte, opts ...kv.Option) error {
	s, err := d.begin(ctx, kv.OpStore, name, opts)
	if err != nil {
		return err
	}
	return d.store(ctx, s, name, func(dir, file string) error {
		return retry(ctx, func() error { return s.upload(ctx, d.cfg, d.remote, dir, file, value) })
	})
}

// store is Store and StoreStream once the value goes up with upload(dir,
// file): on remotes with directories to a temporary file beside name,
// which then replaces name (and is removed if anything fails), on object
// stores to name itself.
func (d *Driver) store(ctx context.Context, s *server, name string, upload func(dir, file string) error) error {
	dir, file := path.Split(name)
	dir = strings.TrimSuffix(dir, "/")
	if s.bucketBased {
		if err := upload(dir, file); err != nil {
			return s.kvError(kv.OpStore, name, err)
		}
		return nil
	}
	tmp := file + "." + randomToken()[:12] + kv.TempSuffix
	err := upload(dir, tmp)
	if err == nil {
		unlock := d.names.write(name, name)
		err = s.call(ctx, d.cfg, "operations/movefile", params{
			"srcFs": d.remote, "srcRemote": path.Join(dir, tmp),
			"dstFs": d.remote, "dstRemote": name,
		}, nil)
		unlock()
	}
	if err != nil {
		d.cleanup(s, path.Join(dir, tmp))
		return s.kvError(kv.OpStore, name, err)
	}
	return nil
}

// cleanup removes the temporary file of a failed Store, if it is there,
// even when the caller's context was cancelled.
func (d *Driver) cleanup(s *server, tmp string) {
	if s.exited() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s.call(ctx, d.cfg, "operations/deletefile", params{"fs": d.remote, "remote": tmp}, nil)
}

// Delete removes the item name.
func (d *Driver) Delete(ctx context.Context, name string, opts ...kv.Option) error {
	s, err := d.begin(ctx, kv.OpDelete, name, opts)
	if err != nil {
		return err
	}
	if err := s.call(ctx, d.cfg, "operations/deletefile", params{"fs": d.remote, "remote": name}, nil); err != nil {
		return s.kvError(kv.OpDelete, name, err)
	}
	return nil
}

// Move renames from to to, overwriting to and creating its parents.
func (d *Driver) Move(ctx context.Context, from, to string, opts ...kv.Option) error {
	if err := d.life.BeginMove(ctx, from, to, opts); err != nil {
		return err
	}
	s, err := d.server(kv.OpMove, from)
	if err != nil {
		return err
	}
	if from == to {
		it, err := d.stat(ctx, s, kv.OpMove, from)
		if err == nil && (!it.Exists || it.Directory) {
			err = backendkit.NewError(kv.OpMove, from, kv.ErrNotFound, nil)
		}
		return err
	}
	unlock := d.names.write(from, to)
	err = s.call(ctx, d.cfg, "operations/movefile", params{
		"srcFs": d.remote, "srcRemote": from, "dstFs": d.remote, "dstRemote": to,
	}, nil)
	unlock()
	if err != nil {
		return s.kvError(kv.OpMove, from, err)
	}
	return nil
}

// List yields the entries of the directory name, sorted by name, skipping
// names that are not valid (temporary files, foreign files).
func (d *Driver) List(ctx context.Context, name string, opts ...kv.Option) iter.Seq2[kv.ItemInfo, error] {
	name = backendkit.ListDir(name)
	recursive := backendkit.Has(opts, kv.KindRecursive)
	var allowed []kv.OptionKind
	if d.Properties().Flat {
		allowed = append(allowed, kv.KindRecursive)
	}
	s, err := d.begin(ctx, kv.OpList, name, opts, allowed...)
	if err != nil {
		return backendkit.ErrorSeq(err)
	}
	if recursive {
		return d.listAll(ctx, s, name)
	}
	entries, err := d.list(ctx, s, kv.OpList, name)
	if err != nil {
		return backendkit.ErrorSeq(err)
	}
	items := make([]kv.ItemInfo, 0, len(entries))
	for _, e := range entries {
		if kv.IsValidName(e.Name) {
			items = append(items, e.info(e.Name))
		}
	}
	slices.SortFunc(items, func(a, b kv.ItemInfo) int { return strings.Compare(a.Name, b.Name) })
	return backendkit.SliceSeq(ctx, kv.OpList, name, items)
}

// recursiveOpt lists every file below a directory, for kv.Recursive.
var recursiveOpt = params{"noModTime": true, "noMimeType": true, "recurse": true, "filesOnly": true}

// listAll is List with kv.Recursive, on a bucket-based remote: one
// operations/list with recursion, which rclone answers with one listing of
// the bucket's prefix (and in one response: memory is not bounded by a
// page here), sorted by relative name, less the directory markers and
// invalid names.
func (d *Driver) listAll(ctx context.Context, s *server, name string) iter.Seq2[kv.ItemInfo, error] {
	var out struct {
		List []entry `json:"list"`
	}
	err := s.call(ctx, d.cfg, "operations/list", params{"fs": d.remote, "remote": name, "opt": recursiveOpt}, &out)
	if err != nil {
		return backendkit.ErrorSeq(s.kvError(kv.OpList, name, err))
	}
	if name != "" && len(out.List) == 0 {
		return backendkit.ErrorSeq(backendkit.NewError(kv.OpList, name, kv.ErrNotFound, nil))
	}
	items := make([]kv.ItemInfo, 0, len(out.List))
	for _, e := range out.List {
		rel := e.Path
		if name != "" {
			rel = strings.TrimPrefix(rel, name+"/")
		}
		if !e.IsDir && kv.IsValidName(rel) {
			items = append(items, e.info(rel))
		}
	}
	slices.SortFunc(items, func(a, b kv.ItemInfo) int { return strings.Compare(a.Name, b.Name) })
	return backendkit.SliceSeq(ctx, kv.OpList, name, items)
}

// dirMarker is the hidden item that makes a directory exist on a remote
// without real directories (object stores, :memory:), where a directory is
// only a prefix of the items below it. Its name is not valid, so it is
// never listed.
const dirMarker = ".dir" + kv.HiddenSuffix

// list returns the raw entries of the directory name, hidden ones included.
// On a remote without real directories a prefix with nothing below it is a
// missing directory, kv.ErrNotFound.
func (d *Driver) list(ctx context.Context, s *server, op kv.Op, name string) ([]entry, error) {
	var out struct {
		List []entry `json:"list"`
	}
	err := s.call(ctx, d.cfg, "operations/list", params{"fs": d.remote, "remote": name, "opt": listOpt}, &out)
	if err != nil {
		return nil, s.kvError(op, name, err)
	}
	if s.bucketBased && name != "" && len(out.List) == 0 {
		return nil, backendkit.NewError(op, name, kv.ErrNotFound, nil)
	}
	return out.List, nil
}

// Mkdir creates the directory name and its parents; an existing directory
// is accepted. On a remote without real directories it stores a hidden
// marker in the directory, so that it exists while empty.
func (d *Driver) Mkdir(ctx context.Context, name string) error {
	s, err := d.begin(ctx, kv.OpMkdir, name, nil)
	if err != nil {
		return err
	}
	if s.bucketBased && name != "" {
		err = retry(ctx, func() error { return s.upload(ctx, d.cfg, d.remote, name, dirMarker, nil) })
	} else {
		err = s.call(ctx, d.cfg, "operations/mkdir", params{"fs": d.remote, "remote": name}, nil)
	}
	if err != nil {
		return s.kvError(kv.OpMkdir, name, err)
	}
	return nil
}

// Rmdir removes the empty directory name. It checks first that name is a
// directory: rclone's local backend would remove a file, and object stores
// accept any rmdir below the bucket.
func (d *Driver) Rmdir(ctx context.Context, name string) error {
	s, err := d.begin(ctx, kv.OpRmdir, name, nil)
	if err != nil {
		return err
	}
	it, err := d.stat(ctx, s, kv.OpRmdir, name)
	switch {
	case err != nil:
		return err
	case !it.Exists:
		return backendkit.NewError(kv.OpRmdir, name, kv.ErrNotFound, nil)
	case !it.Directory:
		return backendkit.NewError(kv.OpRmdir, name, nil, errors.New("not a directory"))
	}
	if s.bucketBased {
		// A directory is its items: refuse any but the marker, and
		// remove the marker.
		entries, err := d.list(ctx, s, kv.OpRmdir, name)
		if err != nil {
			return err
		}
		if slices.ContainsFunc(entries, func(e entry) bool { return e.Name != dirMarker }) {
			return backendkit.NewError(kv.OpRmdir, name, nil, errors.New("directory not empty"))
		}
		err = s.call(ctx, d.cfg, "operations/deletefile", params{"fs": d.remote, "remote": path.Join(name, dirMarker)}, nil)
		if err != nil {
			return s.kvError(kv.OpRmdir, name, err)
		}
		return nil
	}
	if err := s.call(ctx, d.cfg, "operations/rmdir", params{"fs": d.remote, "remote": name}, nil); err != nil {
		return s.kvError(kv.OpRmdir, name, err)
	}
	return nil
}

// Hash returns the hex digest of the value of name. rclone 1.60 has no rc
// call that hashes a single file remotely, so the value is loaded and
// hashed here (backendkit.Hash).
func (d *Driver) Hash(ctx context.Context, name, algorithm string, opts ...kv.Option) (string, error) {
	return backendkit.DriverHash(ctx, &d.life, d, name, algorithm, opts...)
}

// Defrag builds a new item from blocks of existing items (backendkit.Defrag).
func (d *Driver) Defrag(ctx context.Context, sources []kv.Block, opts ...kv.Option) (string, error) {
	return backendkit.DriverDefrag(ctx, &d.life, d, sources, opts...)
}

// Quota reports what operations/about says about the remote: its total
// size as the limit and its used bytes as the usage. These are the figures
// of the whole remote (the disk, the account), not of the store alone; a
// remote without about gives -1, -1.
func (d *Driver) Quota(ctx context.Context) (kv.Quota, error) {
	s, err := d.begin(ctx, kv.OpQuota, "", nil)
	if err != nil {
		return kv.Quota{}, err
	}
	var out struct {
		Total *int64 `json:"total"`
		Used  *int64 `json:"used"`
	}
	q := kv.Quota{Limit: -1, Usage: -1}
	err = s.call(ctx, d.cfg, "operations/about", params{"fs": d.remote}, &out)
	if err != nil {
		err = s.kvError(kv.OpQuota, "", err)
		if errors.Is(err, kv.ErrUnsupported) {
			return q, nil
		}
		return kv.Quota{}, err
	}
	if out.Total != nil {
		q.Limit = *out.Total
	}
	if out.Used != nil {
		q.Usage = *out.Used
	}
	return q, nil
}
