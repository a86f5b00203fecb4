package cache

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/kvcompose/compose/kv"
)

// The cache updates below run after the primary call succeeded: they use
// the caller's context without its cancellation, so that a caller who gives
// up does not leave a copy the primary no longer holds.

// put records value as the cached copy of name and writes it to the cache
// store; name's stripe is locked. It returns the items to evict.
func (l *Layer) put(ctx context.Context, s *space, name string, value []byte) []string {
	had := s.has(name)
	victims, ok := s.reserve(name, int64(len(value)), l.clock())
	if !ok {
		if had {
			l.remove(ctx, name) // an older copy must not stay
		}
		return victims
	}
	if err := l.cache.Store(context.WithoutCancel(ctx), name, value); err != nil {
		s.forget(name)
		l.fail(kv.OpStore, name, err)
		l.remove(ctx, name)
		return victims
	}
	l.writtenBytes.Add(int64(len(value)))
	return victims
}

// drop removes the cached copy of name, if any; name's stripe is locked.
func (l *Layer) drop(ctx context.Context, s *space, name string) {
	s.forget(name)
	l.remove(ctx, name)
}

// dropWrite is drop as a write of its own, for calls that hold no stripe.
func (l *Layer) dropWrite(ctx context.Context, s *space, name string) {
	t := l.beginWrite(name)
	l.endWrite(t, func(bool) { l.drop(ctx, s, name) })
}

// remove deletes name from the cache store; a missing item is no error.
func (l *Layer) remove(ctx context.Context, name string) error {
	err := l.cache.Delete(context.WithoutCancel(ctx), name)
	if err != nil && !errors.Is(err, kv.ErrNotFound) {
		l.fail(kv.OpDelete, name, err)
		return err
	}
	return nil
}

// rename follows a successful Move of the primary in the cache; the
// stripes of both names are locked. It returns the items to evict from st.
func (l *Layer) rename(ctx context.Context, sf, st *space, from, to string) []string {
	err := l.cache.Move(context.WithoutCancel(ctx), from, to)
	switch {
	case errors.Is(err, kv.ErrNotFound): // from was not cached
		l.drop(ctx, st, to)
		sf.forget(from)
		return nil
	case err != nil:
		l.fail(kv.OpMove, from, err)
		l.drop(ctx, sf, from)
		l.drop(ctx, st, to)
		return nil
	}
	if sf == st && sf.rename(from, to, l.clock()) {
		return nil
	}
	sf.forget(from)
	info, err := l.cache.Info(context.WithoutCancel(ctx), to)
	if err != nil || !info.Exists {
		l.drop(ctx, st, to)
		return nil
	}
	victims, ok := st.reserve(to, info.Size, l.clock())
	if !ok {
		l.remove(ctx, to)
	}
	return victims
}

// evict deletes the victims of s's budget from the cache store, each with
// its stripe locked, unless it was cached again meanwhile.
func (l *Layer) evict(ctx context.Context, s *space, victims []string) {
	for _, name := range victims {
		l.locked(name, func() {
			if !s.has(name) && l.remove(ctx, name) == nil {
				l.evictions.Add(1)
			}
		})
	}
}

// cleanup removes what is expired or over the budget in every namespace.
func (l *Layer) cleanup(ctx context.Context) {
	now := l.clock()
	for _, s := range l.spaces {
		l.evict(ctx, s, s.cleanup(now))
	}
}

// scan rebuilds the index of every cached namespace from a listing of the
// cache store. An item the layer has not used yet counts as last used at
// its Atime, or now when the cache store does not report one.
func (l *Layer) scan(ctx context.Context) error {
	now := l.clock()
	for _, s := range l.spaces {
		if s.policy.Mode == Off {
			continue
		}
		var entries []entry
		err := walk(ctx, l.cache, dirOf(s.prefix), func(name string, info kv.ItemInfo) error {
			if l.policyOf(name) != s {
				return nil // a longer prefix's
			}
			used := info.Atime
			if used.IsZero() {
				used = now
			}
			entries = append(entries, entry{name: name, size: info.Size, used: used})
			return nil
		})
		if err != nil {
			return err
		}
		s.rebuild(entries)
	}
	return nil
}

// policyOf returns the namespace whose prefix is the longest match of name,
// whatever its mode, or nil.
func (l *Layer) policyOf(name string) *space {
	for _, s := range l.spaces {
		if strings.HasPrefix(name, s.prefix) {
			return s
		}
	}
	return nil
}

// dirOf returns the directory a namespace prefix names: "data/" -> "data".
func dirOf(prefix string) string { return strings.TrimSuffix(prefix, "/") }

// walk calls f for every item below the directory dir of b, depth first.
// A missing dir is no error.
func walk(ctx context.Context, b kv.Backend, dir string, f func(name string, info kv.ItemInfo) error) error {
	var items []kv.ItemInfo
	for info, err := range b.List(ctx, dir) {
		if errors.Is(err, kv.ErrNotFound) && items == nil {
			return nil
		}
		if err != nil {
			return err
		}
		items = append(items, info)
	}
	for _, info := range items {
		name := info.Name
		if dir != "" {
			name = dir + "/" + name
		}
		var err error
		if info.Directory {
			err = walk(ctx, b, name, f)
		} else {
			err = f(name, info)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// invalidateError is the error of an Invalidate call on name: the layer's
// own call, not a kv.Backend operation, so no kv.Op names it.
func invalidateError(name string, err error) error {
	return fmt.Errorf("invalidate %q: %w", name, err)
}

// Invalidate removes the cached copy of name, if any, whatever the policy
// says about name now. Use it when another client changed or deleted the
// item in the primary. A closed layer is kv.ErrNotOpen; with no usable
// cache store there is nothing to do.
func (l *Layer) Invalidate(ctx context.Context, name string) error {
	if !l.open.Load() {
		return invalidateError(name, kv.ErrNotOpen)
	}
	if err := kv.ValidateName(name); err != nil {
		return invalidateError(name, err)
	}
	if !l.active.Load() {
		return nil
	}
	var err error
	t := l.beginWrite(name)
	l.endWrite(t, func(bool) {
		if s := l.policyOf(name); s != nil {
			s.forget(name)
		}
		err = l.remove(ctx, name)
	})
	return err
}

// InvalidateNamespace removes every cached item whose name starts with the
// directory ns ("data" or "data/"; "" is everything), including items the
// layer did not put there.
func (l *Layer) InvalidateNamespace(ctx context.Context, ns string) error {
	if !l.open.Load() {
		return invalidateError(ns, kv.ErrNotOpen)
	}
	dir := dirOf(ns)
	if dir != "" {
		if err := kv.ValidateDirName(dir); err != nil {
			return invalidateError(ns, err)
		}
	}
	if !l.active.Load() {
		return nil
	}
	var errs []error
	err := walk(ctx, l.cache, dir, func(name string, _ kv.ItemInfo) error {
		if err := l.Invalidate(ctx, name); err != nil {
			errs = append(errs, err)
		}
		return ctx.Err()
	})
	prefix := dir + "/"
	if dir == "" {
		prefix = ""
	}
	for _, s := range l.spaces {
		s.withPrefix(prefix) // copies the listing did not show
	}
	return errors.Join(append(errs, err)...)
}

// InvalidateAll removes every item from the cache store.
func (l *Layer) InvalidateAll(ctx context.Context) error { return l.InvalidateNamespace(ctx, "") }
