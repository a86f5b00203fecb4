package memory

import (
	"context"
	"encoding/hex"
	"iter"
	"slices"
	"strings"

	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

// Mkdir creates the directory name and its parents; an existing directory
// is accepted, an item in the way is kv.ErrExists.
func (d *Driver) Mkdir(ctx context.Context, name string) error {
	if err := d.lc.Begin(ctx, kv.OpMkdir, name, nil); err != nil {
		return err
	}
	d.s.mu.Lock()
	defer d.s.mu.Unlock()
	_, err := d.s.mkdirAll(kv.OpMkdir, name)
	return err
}

// Rmdir removes the empty directory name; a missing one is kv.ErrNotFound.
func (d *Driver) Rmdir(ctx context.Context, name string) error {
	const op = kv.OpRmdir
	if err := d.lc.Begin(ctx, op, name, nil); err != nil {
		return err
	}
	d.s.mu.Lock()
	defer d.s.mu.Unlock()
	dir, base := split(name)
	parent := d.s.lookup(dir)
	n := parent.child(base)
	switch {
	case n == nil:
		return backendkit.NewError(op, name, kv.ErrNotFound, nil)
	case !n.isDir():
		return backendkit.NewError(op, name, nil, errNotDir)
	case len(n.children) > 0:
		return backendkit.NewError(op, name, nil, errNotEmpty)
	}
	delete(parent.children, base)
	return nil
}

// child returns the entry base of the directory n, nil when n is nil, an
// item, or has no such entry.
func (n *node) child(base string) *node {
	if n == nil || !n.isDir() {
		return nil
	}
	return n.children[base]
}

// Info describes name; a missing item gives Exists == false. Atime is
// always zero.
func (d *Driver) Info(ctx context.Context, name string, opts ...kv.Option) (kv.ItemInfo, error) {
	const op = kv.OpInfo
	if err := d.lc.Begin(ctx, op, name, opts); err != nil {
		return kv.ItemInfo{}, err
	}
	d.s.mu.RLock()
	defer d.s.mu.RUnlock()
	if n := d.s.lookup(name); n != nil {
		return n.info(name), nil
	}
	return kv.ItemInfo{Name: name}, nil
}

// Load returns a copy of the value of name, or of the part a kv.Range
// selects; a missing item is kv.ErrNotFound.
func (d *Driver) Load(ctx context.Context, name string, opts ...kv.Option) ([]byte, error) {
	const op = kv.OpLoad
	if err := d.lc.Begin(ctx, op, name, opts, kv.KindRange); err != nil {
		return nil, err
	}
	d.s.mu.RLock()
	defer d.s.mu.RUnlock()
	v, err := d.s.value(op, name)
	if err != nil {
		return nil, err
	}
	if offset, size, ok := backendkit.RangeOf(opts); ok {
		start, end := backendkit.ClampRange(int64(len(v)), offset, size)
		v = v[start:end]
	}
	return append(make([]byte, 0, len(v)), v...), nil
}

// value returns the stored value of the item name, not a copy. The caller
// holds s.mu.
func (s *store) value(op kv.Op, name string) ([]byte, error) {
	n := s.lookup(name)
	switch {
	case n == nil:
		return nil, backendkit.NewError(op, name, kv.ErrNotFound, nil)
	case n.isDir():
		return nil, backendkit.NewError(op, name, nil, errIsDir)
	}
	return n.value, nil
}

// Store keeps a copy of value under name, atomically, overwriting an older
// value and creating missing parent directories. A directory in the way is
// kv.ErrExists.
func (d *Driver) Store(ctx context.Context, name string, value []byte, opts ...kv.Option) error {
	const op = kv.OpStore
	if err := d.lc.Begin(ctx, op, name, opts); err != nil {
		return err
	}
	return d.s.store(op, name, append(make([]byte, 0, len(value)), value...))
}

// store keeps v, which it owns from then on, as the value of name (see
// Store).
func (s *store) store(op kv.Op, name string, v []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	dir, base := split(name)
	parent, err := s.mkdirAll(op, dir)
	if err != nil {
		return err
	}
	return s.put(op, name, parent, base, &node{value: v})
}

// put sets the entry base of parent to the item n, replacing an item that
// is there. A directory in the way is kv.ErrExists. The caller holds s.mu
// for writing.
func (s *store) put(op kv.Op, name string, parent *node, base string, n *node) error {
	if old, ok := parent.children[base]; ok {
		if old.isDir() {
			return backendkit.NewError(op, name, kv.ErrExists, errIsDir)
		}
		s.usage -= int64(len(old.value))
	}
	parent.children[base] = n
	s.usage += int64(len(n.value))
	return nil
}

// Delete removes the item name; a missing item is kv.ErrNotFound.
func (d *Driver) Delete(ctx context.Context, name string, opts ...kv.Option) error {
	const op = kv.OpDelete
	if err := d.lc.Begin(ctx, op, name, opts); err != nil {
		return err
	}
	d.s.mu.Lock()
	defer d.s.mu.Unlock()
	v, err := d.s.value(op, name)
	if err != nil {
		return err
	}
	dir, base := split(name)
	delete(d.s.lookup(dir).children, base)
	d.s.usage -= int64(len(v))
	return nil
}

// Move renames from (an item or a directory) to to, overwriting an item at
// to and creating its missing parent directories; a missing from is
// kv.ErrNotFound, a directory at to is kv.ErrExists.
func (d *Driver) Move(ctx context.Context, from, to string, opts ...kv.Option) error {
	const op = kv.OpMove
	if err := d.lc.BeginMove(ctx, from, to, opts); err != nil {
		return err
	}
	d.s.mu.Lock()
	defer d.s.mu.Unlock()
	fromDir, fromBase := split(from)
	fromParent := d.s.lookup(fromDir)
	n := fromParent.child(fromBase)
	switch {
	case n == nil:
		return backendkit.NewError(op, from, kv.ErrNotFound, nil)
	case from == to:
		return nil
	case n.isDir() && strings.HasPrefix(to, from+"/"):
		return backendkit.NewError(op, from, nil, errIntoSelf)
	}
	toDir, toBase := split(to)
	toParent, err := d.s.mkdirAll(op, toDir)
	if err != nil {
		return err
	}
	if old := toParent.children[toBase]; old != nil && (old.isDir() || n.isDir()) {
		return backendkit.NewError(op, to, kv.ErrExists, nil)
	}
	delete(fromParent.children, fromBase)
	d.s.usage -= int64(len(n.value))
	return d.s.put(op, to, toParent, toBase, n)
}

// List yields the entries of the directory name (the root for ""), sorted
// by name; a missing directory yields kv.ErrNotFound. The entries are those
// present when List is called.
func (d *Driver) List(ctx context.Context, name string, opts ...kv.Option) iter.Seq2[kv.ItemInfo, error] {
	name = backendkit.ListDir(name)
	const op = kv.OpList
	if err := d.lc.Begin(ctx, op, name, opts); err != nil {
		return backendkit.ErrorSeq(err)
	}
	d.s.mu.RLock()
	defer d.s.mu.RUnlock()
	n := d.s.lookup(name)
	switch {
	case n == nil:
		return backendkit.ErrorSeq(backendkit.NewError(op, name, kv.ErrNotFound, nil))
	case !n.isDir():
		return backendkit.ErrorSeq(backendkit.NewError(op, name, kv.ErrNotFound, errNotDir))
	}
	items := make([]kv.ItemInfo, 0, len(n.children))
	for base, c := range n.children {
		if kv.IsValidName(base) { // not the hidden records
			items = append(items, c.info(base))
		}
	}
	slices.SortFunc(items, func(a, b kv.ItemInfo) int { return strings.Compare(a.Name, b.Name) })
	return backendkit.SliceSeq(ctx, op, name, items)
}

// Hash returns the hex digest of the value of name with algorithm ("" for
// kv.DefaultHash), computed in place without copying the value.
func (d *Driver) Hash(ctx context.Context, name, algorithm string, opts ...kv.Option) (string, error) {
	const op = kv.OpHash
	if err := d.lc.Begin(ctx, op, name, opts); err != nil {
		return "", err
	}
	h, err := backendkit.NewHash(algorithm)
	if err != nil {
		return "", backendkit.NewError(op, name, nil, err)
	}
	d.s.mu.RLock()
	defer d.s.mu.RUnlock()
	v, err := d.s.value(op, name)
	if err != nil {
		return "", err
	}
	h.Write(v)
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Defrag builds a new item from blocks of existing items (see backendkit.Defrag).
func (d *Driver) Defrag(ctx context.Context, sources []kv.Block, opts ...kv.Option) (string, error) {
	return backendkit.DriverDefrag(ctx, &d.lc, d, sources, opts...)
}

// Quota reports no limit (-1) and the bytes held in values as usage.
func (d *Driver) Quota(ctx context.Context) (kv.Quota, error) {
	const op = kv.OpQuota
	if err := d.lc.Begin(ctx, op, "", nil); err != nil {
		return kv.Quota{}, err
	}
	d.s.mu.RLock()
	defer d.s.mu.RUnlock()
	return kv.Quota{Limit: -1, Usage: d.s.usage}, nil
}
