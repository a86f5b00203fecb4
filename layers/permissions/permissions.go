// Package permissions is a kv.Backend layer that grants or denies every
// call by name, with borgstore's per-directory permission letters. The
// streaming calls are judged as Load and Store, before their first byte.
package permissions

import (
	"context"
	"fmt"
	"iter"
	"maps"
	"path"
	"strings"

	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

// Layer checks every call against a permission map before passing it
// down; a denied call is a kv.ErrPermission error that names the letters it
// needed, and does no I/O.
//
// The map follows borgstore: its keys are directory names ("" is the
// root), its values are letters of Letters. The entry of the name itself,
// else of its nearest parent, up to the root, decides; no entry anywhere
// denies. A call needs one of these letters (any one is enough):
//
//	Info                        l or r
//	List                        l
//	Load, LoadStream, Hash      r
//	Store, StoreStream,         W if the target exists, else w or W
//	Defrag target
//	Move                        D on the source; on the target as Store
//	Delete                      D
//	Mkdir                       w
//	Rmdir                       w or D (an empty directory holds no data)
//	Defrag                      r on every source; a target named by the
//	                            hash of its content needs W in the
//	                            directory of the first source, as its name
//	                            is not known before the sources are read
//	Create                      w or W on the root
//	Destroy                     D on the root
//	Open, Close, Quota          nothing
//
// A denial comes before every other check, the store's state included,
// and before the first byte of a stream: a denied StoreStream reads
// nothing from its source, a denied LoadStream opens nothing. A
// call with an invalid name (backendkit.CheckName) is not judged: it goes down, and
// the store refuses it with kv.ErrInvalidName in the order of the checks,
// so that no alias of a name ("./keys/x", "keys/./x", "data//x") is ever
// judged as if it were another directory. Telling w from W costs an Info of the
// target, made only when the entry grants w and not W; its errors are
// returned as they are. As in borgstore, an item that appears between that
// Info and the write is overwritten.
//
// Unlike borgstore, where an empty mapping switches the checks off, an
// empty map grants nothing; Shortcut("all") grants everything. The layer
// sits below nesting and soft delete, so it judges the names the store
// really holds ("packs/01/0123...", "archives/x.del").
type Layer struct {
	next  kv.Backend
	rules rules
	perms map[string]string
	err   error // the map was invalid: every call fails with it
}

var _ kv.Backend = (*Layer)(nil)

// New returns a permissions layer over next that grants what perms says
// (see Layer). The map is copied. An invalid map (see Validate) makes every
// call fail with a kv.ErrPermission error that says what is wrong; check it
// with Validate first to report the problem early.
func New(next kv.Backend, perms map[string]string) *Layer {
	l := &Layer{next: next, perms: maps.Clone(perms)}
	l.rules, l.err = compile(perms)
	return l
}

// Unwrap returns the backend below the layer.
func (l *Layer) Unwrap() kv.Backend { return l.next }

// Permissions returns a copy of the permission map of the layer.
func (l *Layer) Permissions() map[string]string { return maps.Clone(l.perms) }

// invalid reports whether one of names is not a valid name for a call of
// op with opts: such a call is not judged, and goes down to be refused.
func invalid(op kv.Op, opts []kv.Option, names ...string) bool {
	for _, name := range names {
		if backendkit.CheckName(op, name, opts) != nil {
			return true
		}
	}
	return false
}

// check returns nil if the entry that decides for name grants one of the
// letters in want, else an ErrPermission error for op on name.
func (l *Layer) check(op kv.Op, name string, want letters) error {
	if l.err != nil {
		return backendkit.NewError(op, name, kv.ErrPermission, l.err)
	}
	key, granted, ok := l.rules.lookup(name)
	if ok && granted&want != 0 {
		return nil
	}
	return denied(op, name, want, key, granted, ok, "")
}

// checkWrite checks a write of the item name by op: W allows it, w allows
// it when the item does not exist, which an Info of name tells.
func (l *Layer) checkWrite(ctx context.Context, op kv.Op, name string) error {
	if l.err != nil {
		return backendkit.NewError(op, name, kv.ErrPermission, l.err)
	}
	key, granted, ok := l.rules.lookup(name)
	switch {
	case ok && granted&letterO != 0:
		return nil
	case !ok || granted&letterW == 0:
		return denied(op, name, letterW|letterO, key, granted, ok, "")
	}
	info, err := l.next.Info(ctx, name)
	if err != nil {
		return backendkit.NewError(op, name, nil, err)
	}
	if info.Exists {
		return denied(op, name, letterO, key, granted, ok, " to overwrite the existing item")
	}
	return nil
}

// denied returns the ErrPermission error of op on name, which needed one
// of want; the entry key granted granted (ok), or no entry applied.
func denied(op kv.Op, name string, want letters, key string, granted letters, ok bool, why string) error {
	needs := fmt.Sprintf("%q", want)
	if len(needs) > 3 {
		needs = "one of " + needs
	}
	cause := fmt.Errorf("needs %s%s; no entry applies", needs, why)
	if ok {
		cause = fmt.Errorf("needs %s%s; the entry %q grants %q", needs, why, key, granted)
	}
	return backendkit.NewError(op, name, kv.ErrPermission, cause)
}

// Create needs w or W on the root.
func (l *Layer) Create(ctx context.Context) error {
	if err := l.check(kv.OpCreate, "", letterW|letterO); err != nil {
		return err
	}
	return l.next.Create(ctx)
}

// Destroy needs D on the root.
func (l *Layer) Destroy(ctx context.Context) error {
	if err := l.check(kv.OpDestroy, "", letterD); err != nil {
		return err
	}
	return l.next.Destroy(ctx)
}

// Open needs no permission.
func (l *Layer) Open(ctx context.Context) error { return l.next.Open(ctx) }

// Close needs no permission.
func (l *Layer) Close(ctx context.Context) error { return l.next.Close(ctx) }

// Mkdir needs w.
func (l *Layer) Mkdir(ctx context.Context, name string) error {
	if invalid(kv.OpMkdir, nil, name) {
		return l.next.Mkdir(ctx, name)
	}
	if err := l.check(kv.OpMkdir, name, letterW); err != nil {
		return err
	}
	return l.next.Mkdir(ctx, name)
}

// Rmdir needs w or D.
func (l *Layer) Rmdir(ctx context.Context, name string) error {
	if invalid(kv.OpRmdir, nil, name) {
		return l.next.Rmdir(ctx, name)
	}
	if err := l.check(kv.OpRmdir, name, letterW|letterD); err != nil {
		return err
	}
	return l.next.Rmdir(ctx, name)
}

// Info needs l or r.
func (l *Layer) Info(ctx context.Context, name string, opts ...kv.Option) (kv.ItemInfo, error) {
	if invalid(kv.OpInfo, opts, name) {
		return l.next.Info(ctx, name, opts...)
	}
	if err := l.check(kv.OpInfo, name, letterL|letterR); err != nil {
		return kv.ItemInfo{}, err
	}
	return l.next.Info(ctx, name, opts...)
}

// Load needs r.
func (l *Layer) Load(ctx context.Context, name string, opts ...kv.Option) ([]byte, error) {
	if invalid(kv.OpLoad, opts, name) {
		return l.next.Load(ctx, name, opts...)
	}
	if err := l.check(kv.OpLoad, name, letterR); err != nil {
		return nil, err
	}
	return l.next.Load(ctx, name, opts...)
}

// Store needs W, or w when name does not exist yet.
func (l *Layer) Store(ctx context.Context, name string, value []byte, opts ...kv.Option) error {
	if invalid(kv.OpStore, opts, name) {
		return l.next.Store(ctx, name, value, opts...)
	}
	if err := l.checkWrite(ctx, kv.OpStore, name); err != nil {
		return err
	}
	return l.next.Store(ctx, name, value, opts...)
}

// Delete needs D.
func (l *Layer) Delete(ctx context.Context, name string, opts ...kv.Option) error {
	if invalid(kv.OpDelete, opts, name) {
		return l.next.Delete(ctx, name, opts...)
	}
	if err := l.check(kv.OpDelete, name, letterD); err != nil {
		return err
	}
	return l.next.Delete(ctx, name, opts...)
}

// Move needs D on from, and on to W, or w when to does not exist yet.
func (l *Layer) Move(ctx context.Context, from, to string, opts ...kv.Option) error {
	if invalid(kv.OpMove, nil, from, to) {
		return l.next.Move(ctx, from, to, opts...)
	}
	if err := l.check(kv.OpMove, from, letterD); err != nil {
		return err
	}
	if err := l.checkWrite(ctx, kv.OpMove, to); err != nil {
		return err
	}
	return l.next.Move(ctx, from, to, opts...)
}

// List needs l on the directory; a denial is the one error the sequence
// yields. A recursive listing (kv.Recursive) yields only the items whose
// directory l allows listing, as listing each directory would.
func (l *Layer) List(ctx context.Context, name string, opts ...kv.Option) iter.Seq2[kv.ItemInfo, error] {
	if invalid(kv.OpList, nil, name) {
		return l.next.List(ctx, name, opts...)
	}
	if err := l.check(kv.OpList, backendkit.ListDir(name), letterL); err != nil {
		return func(yield func(kv.ItemInfo, error) bool) { yield(kv.ItemInfo{}, err) }
	}
	if !backendkit.Has(opts, kv.KindRecursive) {
		return l.next.List(ctx, name, opts...)
	}
	dir := backendkit.ListDir(name)
	return func(yield func(kv.ItemInfo, error) bool) {
		for it, err := range l.next.List(ctx, name, opts...) {
			if i := strings.LastIndexByte(it.Name, '/'); err == nil && i >= 0 {
				sub := it.Name[:i]
				if dir != "" {
					sub = dir + "/" + sub
				}
				if l.check(kv.OpList, sub, letterL) != nil {
					continue
				}
			}
			if !yield(it, err) {
				return
			}
		}
	}
}

// Hash needs r.
func (l *Layer) Hash(ctx context.Context, name, algorithm string, opts ...kv.Option) (string, error) {
	if invalid(kv.OpHash, nil, name) {
		return l.next.Hash(ctx, name, algorithm, opts...)
	}
	if err := l.check(kv.OpHash, name, letterR); err != nil {
		return "", err
	}
	return l.next.Hash(ctx, name, algorithm, opts...)
}

// Defrag needs r on every source, and on the target what Store needs; a
// target named by its hash needs W in the directory of the first source.
func (l *Layer) Defrag(ctx context.Context, sources []kv.Block, opts ...kv.Option) (string, error) {
	if len(sources) == 0 {
		return l.next.Defrag(ctx, sources, opts...)
	}
	target, _ := backendkit.DefragTarget(opts)
	for _, s := range sources {
		if invalid(kv.OpDefrag, nil, s.Name) || target != "" && invalid(kv.OpDefrag, nil, target) {
			return l.next.Defrag(ctx, sources, opts...)
		}
	}
	for _, s := range sources {
		if err := l.check(kv.OpDefrag, s.Name, letterR); err != nil {
			return "", err
		}
	}
	var err error
	if target != "" {
		err = l.checkWrite(ctx, kv.OpDefrag, target)
	} else {
		dir := path.Dir(sources[0].Name)
		if dir == "." {
			dir = ""
		}
		err = l.check(kv.OpDefrag, dir, letterO)
	}
	if err != nil {
		return "", err
	}
	return l.next.Defrag(ctx, sources, opts...)
}

// Quota needs no permission.
func (l *Layer) Quota(ctx context.Context) (kv.Quota, error) { return l.next.Quota(ctx) }
