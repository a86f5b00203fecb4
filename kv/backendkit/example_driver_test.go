package backendkit_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"slices"
	"strings"
	"sync"

	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

// MapDriver is a driver written with the kit: a store kept in one map from
// full names to entries, items and directories alike. It passes
// kvtest.TestBackend. Each List and Rmdir scans the whole map: it is an
// example, not a store for many items.
type MapDriver struct {
	lc backendkit.Lifecycle // the state, and the frame of every call
	mu sync.RWMutex
	m  map[string]*entry // nil while the store does not exist
}

// entry is a directory, or an item holding value.
type entry struct {
	dir   bool
	value []byte
}

var (
	_ kv.Backend   = (*MapDriver)(nil)
	_ kv.Describer = (*MapDriver)(nil)
)

// errNotItem is the cause of a call on a name that is a directory.
var errNotItem = errors.New("is a directory")

// Properties describes the driver to the layers above it.
func (d *MapDriver) Properties() kv.Properties { return kv.Properties{Scheme: "map"} }

// Create makes the store and marks it with backendkit.StoreRecord.
func (d *MapDriver) Create(ctx context.Context) error {
	return d.lc.Transition(ctx, kv.OpCreate, func() error {
		d.mu.Lock()
		defer d.mu.Unlock()
		if d.m == nil {
			d.m = map[string]*entry{}
		}
		for name := range d.m {
			if !backendkit.IsStoreRecord(name) {
				return backendkit.NewError(kv.OpCreate, "", kv.ErrExists, errors.New("the store is not empty"))
			}
		}
		d.m[backendkit.StoreRecord] = &entry{value: []byte(backendkit.StoreRecordText)}
		return nil
	})
}

// Destroy removes the store, if it is one.
func (d *MapDriver) Destroy(ctx context.Context) error {
	return d.lc.Transition(ctx, kv.OpDestroy, func() error {
		d.mu.Lock()
		defer d.mu.Unlock()
		if err := d.recognize(ctx, kv.OpDestroy); err != nil {
			return err
		}
		d.m = nil
		return nil
	})
}

// Open opens the store, if it is one.
func (d *MapDriver) Open(ctx context.Context) error {
	return d.lc.Transition(ctx, kv.OpOpen, func() error {
		d.mu.RLock()
		defer d.mu.RUnlock()
		return d.recognize(ctx, kv.OpOpen)
	})
}

// Close closes the store.
func (d *MapDriver) Close(ctx context.Context) error {
	return d.lc.Transition(ctx, kv.OpClose, func() error { return nil })
}

// recognize is kv.ErrNoStore for a missing store, and otherwise
// backendkit.Recognize over the map. The caller holds d.mu.
func (d *MapDriver) recognize(ctx context.Context, op kv.Op) error {
	if d.m == nil {
		return backendkit.NewError(op, "", kv.ErrNoStore, nil)
	}
	return backendkit.Recognize(ctx, op, "the map", func(_ context.Context, dir string) ([]backendkit.DirEntry, error) {
		var out []backendkit.DirEntry
		for base, e := range d.children(dir) {
			out = append(out, backendkit.DirEntry{Name: base, Dir: e.dir})
		}
		return out, nil
	})
}

// children yields the base names and entries of the directory dir, every
// name (hidden records included). The caller holds d.mu.
func (d *MapDriver) children(dir string) iter.Seq2[string, *entry] {
	prefix := dir + "/"
	if dir == "" {
		prefix = ""
	}
	return func(yield func(string, *entry) bool) {
		for name, e := range d.m {
			if base, ok := strings.CutPrefix(name, prefix); ok && !strings.Contains(base, "/") {
				if !yield(base, e) {
					return
				}
			}
		}
	}
}

// mkdirs makes dir and its parents; an item in the way is kv.ErrExists,
// and a store closed and destroyed since the call began (no map) is
// kv.ErrNotOpen. The caller holds d.mu for writing.
func (d *MapDriver) mkdirs(op kv.Op, dir string) error {
	if d.m == nil {
		return backendkit.NewError(op, dir, kv.ErrNotOpen, nil)
	}
	if dir == "" {
		return nil
	}
	if err := d.mkdirs(op, parent(dir)); err != nil {
		return err
	}
	if e := d.m[dir]; e == nil {
		d.m[dir] = &entry{dir: true}
	} else if !e.dir {
		return backendkit.NewError(op, dir, kv.ErrExists, errors.New("an item is in the way"))
	}
	return nil
}

// item returns the item name; a missing one is kv.ErrNotFound. The caller
// holds d.mu.
func (d *MapDriver) item(op kv.Op, name string) (*entry, error) {
	switch e := d.m[name]; {
	case e == nil:
		return nil, backendkit.NewError(op, name, kv.ErrNotFound, nil)
	case e.dir:
		return nil, backendkit.NewError(op, name, nil, errNotItem)
	default:
		return e, nil
	}
}

// parent returns the directory that holds name.
func parent(name string) string {
	return name[:max(strings.LastIndexByte(name, '/'), 0)]
}

// Mkdir makes the directory name and its parents.
func (d *MapDriver) Mkdir(ctx context.Context, name string) error {
	if err := d.lc.Begin(ctx, kv.OpMkdir, name, nil); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.mkdirs(kv.OpMkdir, name)
}

// Rmdir removes the empty directory name.
func (d *MapDriver) Rmdir(ctx context.Context, name string) error {
	const op = kv.OpRmdir
	if err := d.lc.Begin(ctx, op, name, nil); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	switch e := d.m[name]; {
	case e == nil:
		return backendkit.NewError(op, name, kv.ErrNotFound, nil)
	case !e.dir:
		return backendkit.NewError(op, name, nil, errors.New("not a directory"))
	}
	for range d.children(name) {
		return backendkit.NewError(op, name, nil, errors.New("directory not empty"))
	}
	delete(d.m, name)
	return nil
}

// Info describes name: an item, a directory, or nothing.
func (d *MapDriver) Info(ctx context.Context, name string, opts ...kv.Option) (kv.ItemInfo, error) {
	if err := d.lc.Begin(ctx, kv.OpInfo, name, opts); err != nil {
		return kv.ItemInfo{}, err
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.info(name, name), nil
}

// info describes the entry at name under label. The caller holds d.mu.
func (d *MapDriver) info(name, label string) kv.ItemInfo {
	switch e := d.m[name]; {
	case name == "" || e != nil && e.dir:
		return kv.ItemInfo{Name: label, Exists: true, Directory: true}
	case e != nil:
		return kv.ItemInfo{Name: label, Exists: true, Size: int64(len(e.value))}
	}
	return kv.ItemInfo{Name: label}
}

// Load returns a copy of the value of name, or of the part a kv.Range
// selects.
func (d *MapDriver) Load(ctx context.Context, name string, opts ...kv.Option) ([]byte, error) {
	const op = kv.OpLoad
	if err := d.lc.Begin(ctx, op, name, opts, kv.KindRange); err != nil {
		return nil, err
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	e, err := d.item(op, name)
	if err != nil {
		return nil, err
	}
	v := e.value
	if offset, size, ok := backendkit.RangeOf(opts); ok {
		start, end := backendkit.ClampRange(int64(len(v)), offset, size)
		v = v[start:end]
	}
	return slices.Clone(v), nil
}

// Store keeps a copy of value under name, making its parents.
func (d *MapDriver) Store(ctx context.Context, name string, value []byte, opts ...kv.Option) error {
	const op = kv.OpStore
	if err := d.lc.Begin(ctx, op, name, opts); err != nil {
		return err
	}
	v := append([]byte{}, value...)
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.put(op, name, &entry{value: v})
}

// LoadStream reads the value from memory: a driver that holds its values
// in memory has nothing to gain from a stream of its own.
func (d *MapDriver) LoadStream(ctx context.Context, name string, opts ...kv.Option) (io.ReadCloser, error) {
	return backendkit.BufferedLoadStream(ctx, d, name, opts...)
}

// StoreStream reads src whole and stores it.
func (d *MapDriver) StoreStream(ctx context.Context, name string, src io.Reader, size int64, opts ...kv.Option) error {
	return backendkit.BufferedStoreStream(ctx, &d.lc, d, name, src, size, opts...)
}

// put sets the item name to e, making its parents; a directory in the way
// is kv.ErrExists. The caller holds d.mu for writing.
func (d *MapDriver) put(op kv.Op, name string, e *entry) error {
	if err := d.mkdirs(op, parent(name)); err != nil {
		return err
	}
	if old := d.m[name]; old != nil && old.dir {
		return backendkit.NewError(op, name, kv.ErrExists, errNotItem)
	}
	d.m[name] = e
	return nil
}

// Delete removes the item name.
func (d *MapDriver) Delete(ctx context.Context, name string, opts ...kv.Option) error {
	const op = kv.OpDelete
	if err := d.lc.Begin(ctx, op, name, opts); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, err := d.item(op, name); err != nil {
		return err
	}
	delete(d.m, name)
	return nil
}

// Move renames the item from to to, overwriting an item at to and making
// its parents. (This driver moves items only, not directories.)
func (d *MapDriver) Move(ctx context.Context, from, to string, opts ...kv.Option) error {
	const op = kv.OpMove
	if err := d.lc.BeginMove(ctx, from, to, opts); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	e, err := d.item(op, from)
	if err != nil || from == to {
		return err
	}
	if err := d.put(op, to, e); err != nil {
		return err
	}
	delete(d.m, from)
	return nil
}

// List yields the entries of the directory name, sorted, skipping the
// names that are not valid (the hidden records).
func (d *MapDriver) List(ctx context.Context, name string, opts ...kv.Option) iter.Seq2[kv.ItemInfo, error] {
	const op = kv.OpList
	name = backendkit.ListDir(name)
	if err := d.lc.Begin(ctx, op, name, opts); err != nil {
		return backendkit.ErrorSeq(err)
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	if !d.info(name, name).Directory {
		return backendkit.ErrorSeq(backendkit.NewError(op, name, kv.ErrNotFound, nil))
	}
	var items []kv.ItemInfo
	for base := range d.children(name) {
		if kv.IsValidName(base) {
			items = append(items, d.info(strings.TrimPrefix(name+"/"+base, "/"), base))
		}
	}
	slices.SortFunc(items, func(a, b kv.ItemInfo) int { return strings.Compare(a.Name, b.Name) })
	return backendkit.SliceSeq(ctx, op, name, items)
}

// Hash hashes the value of name, loaded with Load.
func (d *MapDriver) Hash(ctx context.Context, name, algorithm string, opts ...kv.Option) (string, error) {
	return backendkit.DriverHash(ctx, &d.lc, d, name, algorithm, opts...)
}

// Defrag builds a new item from blocks of others, with Load and Store.
func (d *MapDriver) Defrag(ctx context.Context, sources []kv.Block, opts ...kv.Option) (string, error) {
	return backendkit.DriverDefrag(ctx, &d.lc, d, sources, opts...)
}

// Quota tracks neither limit nor usage.
func (d *MapDriver) Quota(ctx context.Context) (kv.Quota, error) {
	return backendkit.DriverQuota(ctx, &d.lc)
}

func Example_driver() {
	ctx := context.Background()
	d := new(MapDriver)
	fmt.Println(d.Open(ctx))
	d.Create(ctx)
	d.Open(ctx)
	defer d.Destroy(ctx)
	defer d.Close(ctx)

	d.Store(ctx, "data/0123", []byte("hello, world"))
	d.Mkdir(ctx, "config")
	v, _ := d.Load(ctx, "data/0123", kv.Range(-5, -1))
	fmt.Printf("%s\n", v)
	for info, err := range d.List(ctx, "") {
		fmt.Println(info.Name, info.Directory, err)
	}
	_, err := d.Load(ctx, "data/Bad")
	fmt.Println(errors.Is(err, kv.ErrInvalidName))
	fmt.Println(d.Move(ctx, "data/0123", "", kv.SoftDelete()))
	// Output:
	// open: store does not exist
	// world
	// config true <nil>
	// data true <nil>
	// true
	// move "data/0123": unsupported: option soft-delete needs a soft-delete layer, and no layer in the stack consumed it
}
