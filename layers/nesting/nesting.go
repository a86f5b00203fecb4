// Package nesting is a kv.Backend layer that spreads the items of each
// namespace over nesting directories named after the leading characters of
// their keys ("data/0123abcd" is stored as "data/01/23/0123abcd").
package nesting

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/kvcompose/compose/kv"
)

// DefaultConcurrency is how many Mkdir calls Create runs at once when it
// pre-creates the nesting directories, unless WithConcurrency says
// otherwise.
const DefaultConcurrency = 64

var errNoNamespace = errors.New("no nesting namespace is configured for it")

// Layer nests the names of items according to a per-namespace
// configuration of levels. It is safe for concurrent use.
type Layer struct {
	next        kv.Backend
	spaces      []namespace
	concurrency int
	progress    func(done, total int)
}

var (
	_ kv.Backend        = (*Layer)(nil)
	_ kv.OptionConsumer = (*Layer)(nil)
)

// Option configures a Layer.
type Option func(*Layer)

// WithConcurrency sets how many directories Create pre-creates at once
// (DefaultConcurrency by default). With a backend latency L, pre-creating
// n directories takes about n x L / concurrency.
func WithConcurrency(n int) Option { return func(l *Layer) { l.concurrency = n } }

// WithProgress sets a callback that Create calls while it pre-creates
// directories: first with done == 0, then from time to time (at most about
// a thousand times), and last with done == total. Calls never overlap and
// done never decreases.
func WithProgress(f func(done, total int)) Option { return func(l *Layer) { l.progress = f } }

// New returns a Layer over next. levels maps namespace prefixes, which end
// in "/" ("" is the root), to their nesting levels: one level, or several
// while items migrate from one level to another, in the order they are
// probed; new items go to the last. For example
//
//	map[string][]int{"config/": {0}, "data/": {2}}
//
// A name belongs to the namespace with the longest matching prefix; a name
// that matches none is an ErrInvalidName error. An invalid configuration
// (a prefix without a trailing "/", no levels, a level outside 0..MaxLevel)
// is an error.
func New(next kv.Backend, levels map[string][]int, opts ...Option) (*Layer, error) {
	spaces, err := parseLevels(levels)
	if err != nil {
		return nil, fmt.Errorf("nesting: %w", err)
	}
	l := &Layer{next: next, spaces: spaces, concurrency: DefaultConcurrency}
	for _, o := range opts {
		o(l)
	}
	if l.concurrency < 1 {
		return nil, fmt.Errorf("nesting: concurrency %d must be at least 1", l.concurrency)
	}
	return l, nil
}

// Unwrap returns the Backend below the layer.
func (l *Layer) Unwrap() kv.Backend { return l.next }

// ConsumesOptions reports the option the layer implements: kv.ChangeLevel
// never reaches the layers below it.
func (l *Layer) ConsumesOptions() []kv.OptionKind { return []kv.OptionKind{kv.KindChangeLevel} }

// item is a name as the layer's caller gives it, resolved to its namespace.
type item struct {
	name   string // as given
	base   string // name less the ".del" suffix
	suffix string // "" or kv.DeletedSuffix
	ns     *namespace
}

// at returns the driver-level name of the item at level.
func (it item) at(level int) string {
	if level == 0 {
		return it.name
	}
	return nest(it.base, level, it.suffix)
}

// isDir reports whether name is the root, a namespace directory or one of
// its ancestors: such names are passed down as they are.
func (l *Layer) isDir(name string) bool {
	if name == "" {
		return true
	}
	for i := range l.spaces {
		p := l.spaces[i].prefix
		if len(p) > len(name) && p[len(name)] == '/' && p[:len(name)] == name {
			return true
		}
	}
	return false
}

// resolve finds the namespace of name and checks that its key can be nested.
func (l *Layer) resolve(op, name string) (item, error) {
	it := item{name: name, base: name}
	if b, ok := strings.CutSuffix(name, kv.DeletedSuffix); ok {
		it.base, it.suffix = b, kv.DeletedSuffix
	}
	for i := range l.spaces {
		ns := &l.spaces[i]
		if !strings.HasPrefix(it.base, ns.prefix) {
			continue
		}
		it.ns = ns
		if ns.maxLevel == 0 {
			return it, nil
		}
		key := it.base[len(ns.prefix):]
		if strings.IndexByte(key, '/') >= 0 {
			return it, kv.NewError(op, name, kv.ErrInvalidName,
				fmt.Errorf("key %q in nested namespace %q contains /", key, ns.prefix))
		}
		if len(key) < 2*ns.maxLevel {
			return it, kv.NewError(op, name, kv.ErrInvalidName,
				fmt.Errorf("key %q is too short for %d nesting levels", key, ns.maxLevel))
		}
		return it, nil
	}
	return it, kv.NewError(op, name, kv.ErrInvalidName, errNoNamespace)
}

// locate returns the driver-level name of it and the index of its level:
// with one level configured, directly; with several, the first level at
// which the item exists, probed with Info, or else the last level and -1.
func (l *Layer) locate(ctx context.Context, it item) (string, int, error) {
	levels := it.ns.levels
	if len(levels) == 1 {
		return it.at(levels[0]), 0, nil
	}
	for i, lv := range levels {
		name := it.at(lv)
		info, err := l.next.Info(ctx, name)
		if err != nil {
			return "", 0, err
		}
		if info.Exists && !info.Directory {
			return name, i, nil
		}
	}
	return it.at(it.ns.last()), -1, nil
}

// refuse returns an error if opts holds ChangeLevel, which only Move takes.
func refuse(op, name string, opts []kv.Option) error {
	if len(opts) > 0 && kv.Has(opts, kv.KindChangeLevel) {
		return kv.NewError(op, name, kv.ErrUnsupported, errors.New("change-level applies only to move"))
	}
	return nil
}

// Destroy destroys the store below.
func (l *Layer) Destroy(ctx context.Context) error { return l.next.Destroy(ctx) }

// Open opens the store below.
func (l *Layer) Open(ctx context.Context) error { return l.next.Open(ctx) }

// Close closes the store below.
func (l *Layer) Close(ctx context.Context) error { return l.next.Close(ctx) }

// Mkdir creates the directory name below, unchanged.
func (l *Layer) Mkdir(ctx context.Context, name string) error { return l.next.Mkdir(ctx, name) }

// Rmdir removes the directory name below, unchanged.
func (l *Layer) Rmdir(ctx context.Context, name string) error { return l.next.Rmdir(ctx, name) }

// Quota reports the quota of the store below.
func (l *Layer) Quota(ctx context.Context) (kv.Quota, error) { return l.next.Quota(ctx) }

// Info describes the item name wherever it is nested; the root and the
// namespace directories are described as they are. With several levels it
// probes them in order.
func (l *Layer) Info(ctx context.Context, name string, opts ...kv.Option) (kv.ItemInfo, error) {
	if err := refuse("info", name, opts); err != nil {
		return kv.ItemInfo{}, err
	}
	if l.isDir(name) {
		return l.next.Info(ctx, name, opts...)
	}
	it, err := l.resolve("info", name)
	if err != nil {
		return kv.ItemInfo{}, err
	}
	var info kv.ItemInfo
	for _, lv := range it.ns.levels {
		info, err = l.next.Info(ctx, it.at(lv), opts...)
		if err != nil || (info.Exists && !info.Directory) {
			break
		}
	}
	info.Name = name
	return info, err
}

// Load loads the item name from its level.
func (l *Layer) Load(ctx context.Context, name string, opts ...kv.Option) ([]byte, error) {
	if err := refuse("load", name, opts); err != nil {
		return nil, err
	}
	it, err := l.resolve("load", name)
	if err != nil {
		return nil, err
	}
	nested, _, err := l.locate(ctx, it)
	if err != nil {
		return nil, err
	}
	return l.next.Load(ctx, nested, opts...)
}

// Store stores the item name at its current level, or at the last
// configured level if it is new.
func (l *Layer) Store(ctx context.Context, name string, value []byte, opts ...kv.Option) error {
	if err := refuse("store", name, opts); err != nil {
		return err
	}
	it, err := l.resolve("store", name)
	if err != nil {
		return err
	}
	nested, _, err := l.locate(ctx, it)
	if err != nil {
		return err
	}
	return l.next.Store(ctx, nested, value, opts...)
}

// Delete deletes the item name from its level.
func (l *Layer) Delete(ctx context.Context, name string, opts ...kv.Option) error {
	if err := refuse("delete", name, opts); err != nil {
		return err
	}
	it, err := l.resolve("delete", name)
	if err != nil {
		return err
	}
	nested, _, err := l.locate(ctx, it)
	if err != nil {
		return err
	}
	return l.next.Delete(ctx, nested, opts...)
}

// Hash hashes the item name at its level.
func (l *Layer) Hash(ctx context.Context, name, algorithm string, opts ...kv.Option) (string, error) {
	if err := refuse("hash", name, opts); err != nil {
		return "", err
	}
	it, err := l.resolve("hash", name)
	if err != nil {
		return "", err
	}
	nested, _, err := l.locate(ctx, it)
	if err != nil {
		return "", err
	}
	return l.next.Hash(ctx, nested, algorithm, opts...)
}
