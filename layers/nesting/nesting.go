// Package nesting is a kv.Backend layer that spreads the items of each
// namespace over nesting directories named after the leading characters of
// their keys ("data/0123abcd" is stored as "data/01/23/0123abcd").
// LoadStream and StoreStream find and place an item as Load and Store do.
package nesting

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

// DefaultConcurrency is how many Mkdir calls Create runs at once when it
// pre-creates the nesting directories, unless WithConcurrency says
// otherwise.
const DefaultConcurrency = 64

// Layer nests the names of items according to a per-namespace
// configuration of levels. It is safe for concurrent use.
type Layer struct {
	next        kv.Backend
	given       map[string][]int // the caller's levels; nil: the store's
	change      bool             // WithLevelChange
	concurrency int
	progress    func(done, total int)
	locks       locks // of the keys of namespaces with several levels

	// spaces are the namespaces in effect: the caller's from New on, or
	// until Open the root at level 0 and then the store's.
	spaces atomic.Pointer[[]namespace]
}

var (
	_ kv.Backend                = (*Layer)(nil)
	_ backendkit.OptionConsumer = (*Layer)(nil)
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

// WithLevelChange lets Open accept levels given to New that differ from
// the levels the store records (LayoutRecord), and record them instead: a
// level change. Every level the record holds for a namespace must stay in
// the new list, so that the items already there are found: a change adds
// levels (data/=1 to data/=1,2; kv.ChangeLevel then moves items to the
// last one) and never drops one.
func WithLevelChange() Option { return func(l *Layer) { l.change = true } }

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
//
// Create records the levels in the store (LayoutRecord). With nil levels
// the layer takes them from the store when it opens: from the record, or,
// for a store without one (made by borgstore, Borg 2 or an older
// kvcompose), from the nesting directories it finds, with the root at
// level 0 for any other name. Levels given here that contradict the
// record, or the levels of the items a store without a record holds, make
// Open fail (see WithLevelChange).
func New(next kv.Backend, levels map[string][]int, opts ...Option) (*Layer, error) {
	spaces, err := parseLevels(levels)
	if levels == nil {
		spaces, err = rootOnly, nil
	}
	if err != nil {
		return nil, fmt.Errorf("nesting: %w", err)
	}
	l := &Layer{next: next, given: maps.Clone(levels), concurrency: DefaultConcurrency}
	l.spaces.Store(&spaces)
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
	spaces := l.cfg()
	for i := range spaces {
		p := spaces[i].prefix
		if len(p) > len(name) && p[len(name)] == '/' && p[:len(name)] == name {
			return true
		}
	}
	return false
}

// resolve finds the namespace of name and checks that its key can be nested.
func (l *Layer) resolve(op kv.Op, name string) (item, error) {
	it := item{name: name, base: name}
	if b, ok := strings.CutSuffix(name, kv.DeletedSuffix); ok {
		it.base, it.suffix = b, kv.DeletedSuffix
	}
	spaces := l.cfg()
	for i := range spaces {
		ns := &spaces[i]
		if !strings.HasPrefix(it.base, ns.prefix) {
			continue
		}
		it.ns = ns
		if ns.maxLevel == 0 {
			return it, nil
		}
		key := it.base[len(ns.prefix):]
		if strings.IndexByte(key, '/') >= 0 {
			return it, unresolved(op, name, fmt.Errorf("key %q in nested namespace %q contains /", key, ns.prefix))
		}
		if len(key) < 2*ns.maxLevel {
			return it, unresolved(op, name, fmt.Errorf("key %q is too short for %d nesting levels", key, ns.maxLevel))
		}
		return it, nil
	}
	return it, unresolved(op, name, fmt.Errorf("no nesting namespace is configured for it (configured: %s)", l.spaceList()))
}

// unresolved is the ErrInvalidName error of a name the layer cannot nest:
// what is wrong with the name itself if anything (an uppercase letter),
// else why.
func unresolved(op kv.Op, name string, why error) error {
	if err := kv.ValidateName(name); err != nil {
		return backendkit.NewError(op, name, nil, err)
	}
	return backendkit.NewError(op, name, kv.ErrInvalidName, why)
}

// spaceList names the configured namespaces, for errors.
func (l *Layer) spaceList() string {
	spaces := l.cfg()
	names := make([]string, len(spaces))
	for i, ns := range spaces {
		names[i] = strconv.Quote(ns.prefix)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
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
func refuse(op kv.Op, name string, opts []kv.Option) error {
	if len(opts) > 0 && backendkit.Has(opts, kv.KindChangeLevel) {
		return backendkit.NewError(op, name, kv.ErrUnsupported, errors.New("change-level applies only to move"))
	}
	return nil
}

// target checks opts and resolves the caller's name for op. A hidden item
// (kv.Hidden) is never nested: it stays at level 0, and takes no lock.
func (l *Layer) target(op kv.Op, name string, opts []kv.Option) (item, error) {
	if err := refuse(op, name, opts); err != nil {
		return item{}, err
	}
	if len(opts) > 0 && backendkit.Has(opts, kv.KindHidden) {
		return item{name: name, base: name, ns: &rootOnly[0]}, nil
	}
	return l.resolve(op, name)
}

// place returns the driver-level name of it for op: at its level, probed
// if several are configured. The caller holds the item's stripe.
func (l *Layer) place(ctx context.Context, op kv.Op, it item) (string, error) {
	n, _, err := l.locate(ctx, it)
	return n, callerErr(err, op, n, it.name)
}

// callerErr makes an error of the backend below about the driver-level name
// nested speak of the caller's name instead ("data/ffff0000", not
// "data/ff/ffff0000"); an invalid name is reported with positions in the
// caller's name.
func callerErr(err error, op kv.Op, nested, name string) error {
	if err == nil || nested == name {
		return err
	}
	if errors.Is(err, kv.ErrInvalidName) {
		if verr := kv.ValidateName(name); verr != nil {
			return backendkit.NewError(op, name, nil, verr)
		}
	}
	e, ok := err.(*kv.Error)
	if !ok || e.Name != nested {
		return err
	}
	c := *e
	c.Name = name
	var pe *fs.PathError
	if errors.As(c.Err, &pe) {
		c.Err = pathless{c.Err, pe.Err}
	}
	return &c
}

// pathless is a cause that names a nesting directory (an *fs.PathError,
// "openat 89: no such file or directory"), told without the path; errors.Is
// and errors.As still reach the original.
type pathless struct{ err, told error }

func (p pathless) Error() string { return p.told.Error() }
func (p pathless) Unwrap() error { return p.err }

// cfg returns the namespaces in effect, longest prefix first.
func (l *Layer) cfg() []namespace { return *l.spaces.Load() }

// rootOnly is the configuration of a layer without levels before Open:
// every name at level 0.
var rootOnly = []namespace{{prefix: "", levels: []int{0}}}
