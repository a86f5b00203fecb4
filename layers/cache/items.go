package cache

import (
	"bytes"
	"context"
	"errors"
	"iter"
	"path"
	"strings"

	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

// target returns the namespace of an item call on name when the cache
// takes part in it: the layer is open, the cache usable, name valid and
// cached. Otherwise the call goes to the primary alone, which also gives
// the errors of a closed store or an invalid name.
func (l *Layer) target(name string) *space {
	if !l.open.Load() || !kv.IsValidName(name) {
		return nil
	}
	return l.spaceOf(name)
}

// unchanged reports whether a failed primary call certainly left the item
// as it was, so that its cached copy still holds.
func unchanged(err error) bool {
	for _, kind := range []error{kv.ErrNotOpen, kv.ErrInvalidName, kv.ErrUnsupported,
		kv.ErrPermission, kv.ErrQuotaExceeded, kv.ErrNoStore} {
		if errors.Is(err, kind) {
			return true
		}
	}
	return false
}

// onlyRange reports whether opts holds nothing but Range options.
func onlyRange(opts []kv.Option) bool {
	for _, o := range opts {
		if o.Kind() != kv.KindRange {
			return false
		}
	}
	return true
}

// Info describes name, from the primary.
func (l *Layer) Info(ctx context.Context, name string, opts ...kv.Option) (kv.ItemInfo, error) {
	return l.next.Info(ctx, name, opts...)
}

// List lists the directory name of the primary.
func (l *Layer) List(ctx context.Context, name string, opts ...kv.Option) iter.Seq2[kv.ItemInfo, error] {
	return l.next.List(ctx, name, opts...)
}

// Hash hashes name in the primary.
func (l *Layer) Hash(ctx context.Context, name, algorithm string, opts ...kv.Option) (string, error) {
	return l.next.Hash(ctx, name, algorithm, opts...)
}

// Load loads name. In a WriteThrough namespace a cached copy is served
// (after Verify, if the policy asks for it); otherwise, and in a Mirror
// namespace, the primary answers and its value fills the cache. A partial
// load (kv.Range) that must read the primary reads the whole item once,
// caches it and returns the part; in a Mirror namespace whose copy is
// already cached it reads only the part.
func (l *Layer) Load(ctx context.Context, name string, opts ...kv.Option) ([]byte, error) {
	s := l.target(name)
	if s == nil || !onlyRange(opts) || ctx.Err() != nil {
		return l.next.Load(ctx, name, opts...)
	}
	offset, size, ranged := backendkit.RangeOf(opts)
	if s.policy.Mode == WriteThrough {
		if value, ok := l.hit(ctx, s, name, opts, ranged, offset, size); ok {
			return value, nil
		}
	} else if ranged && s.has(name) {
		value, err := l.next.Load(ctx, name, opts...)
		if err == nil {
			s.touch(name, l.clock())
		}
		return value, err
	}
	g, fill := l.beginRead(name)
	value, err := l.next.Load(ctx, name)
	if err != nil {
		if errors.Is(err, kv.ErrNotFound) && s.has(name) {
			l.dropWrite(ctx, s, name) // deleted behind our back
		}
		return nil, err
	}
	if fill {
		var victims []string
		l.endRead(name, g, func() { victims = l.put(ctx, s, name, value) })
		l.evict(ctx, s, victims)
	}
	if !ranged {
		return value, nil
	}
	start, end := backendkit.ClampRange(int64(len(value)), offset, size)
	return bytes.Clone(value[start:end]), nil
}

// hit serves name from the cache, reporting false on a miss, a failure or
// a value that fails Verify (which it drops).
func (l *Layer) hit(ctx context.Context, s *space, name string, opts []kv.Option, ranged bool, offset, size int64) ([]byte, bool) {
	if s.policy.Verify != "" {
		opts = nil // verify the whole value, then cut the range
	}
	value, err := l.cache.Load(ctx, name, opts...)
	if err != nil {
		l.miss(ctx, kv.OpLoad, name, err)
		return nil, false
	}
	if s.policy.Verify != "" {
		if !verified(s.policy.Verify, name, value) {
			l.corrupted(ctx, s, name)
			return nil, false
		}
		if ranged {
			start, end := backendkit.ClampRange(int64(len(value)), offset, size)
			value = bytes.Clone(value[start:end])
		}
	}
	l.hits.Add(1)
	l.servedBytes.Add(int64(len(value)))
	s.touch(name, l.clock())
	return value, true
}

// miss counts a miss of a cache call op on name that failed with err,
// and a failure of the cache store unless err is not found or the
// caller's context is done.
func (l *Layer) miss(ctx context.Context, op kv.Op, name string, err error) {
	l.misses.Add(1)
	if !errors.Is(err, kv.ErrNotFound) && ctx.Err() == nil {
		l.fail(op, name, err)
	}
}

// corrupted counts a miss on a cached copy of name that failed Verify, and
// drops it.
func (l *Layer) corrupted(ctx context.Context, s *space, name string) {
	l.misses.Add(1)
	l.corrupt.Add(1)
	l.log.Warn("kvcompose cache: dropping a cached value that does not match its key",
		"name", name, "algorithm", s.policy.Verify)
	l.dropWrite(ctx, s, name)
}

// verified reports whether value's digest with algorithm is the key of
// name: its last element, less the ".del" suffix.
func verified(algorithm, name string, value []byte) bool {
	digest, err := backendkit.HashBytes(algorithm, value)
	return err == nil && digest == keyOf(name)
}

// keyOf returns the key of name that Verify checks a digest against: its
// last element, less the ".del" suffix.
func keyOf(name string) string { return path.Base(strings.TrimSuffix(name, kv.DeletedSuffix)) }

// Store stores value under name in the primary, then in the cache.
func (l *Layer) Store(ctx context.Context, name string, value []byte, opts ...kv.Option) error {
	s := l.target(name)
	if s == nil {
		return l.next.Store(ctx, name, value, opts...)
	}
	t := l.beginWrite(name)
	err := l.next.Store(ctx, name, value, opts...)
	var victims []string
	l.endWrite(t, func(alone bool) {
		switch {
		case err == nil && alone && len(opts) == 0:
			victims = l.put(ctx, s, name, value)
		case err == nil || !unchanged(err):
			l.drop(ctx, s, name)
		}
	})
	l.evict(ctx, s, victims)
	return err
}

// Delete deletes name from the primary, and its cached copy.
func (l *Layer) Delete(ctx context.Context, name string, opts ...kv.Option) error {
	s := l.target(name)
	if s == nil {
		return l.next.Delete(ctx, name, opts...)
	}
	t := l.beginWrite(name)
	err := l.next.Delete(ctx, name, opts...)
	l.endWrite(t, func(bool) {
		if err == nil || !unchanged(err) {
			l.drop(ctx, s, name)
		}
	})
	return err
}

// Move renames from to to in the primary, then in the cache: a soft
// delete or undelete from the layers above arrives as such a rename.
func (l *Layer) Move(ctx context.Context, from, to string, opts ...kv.Option) error {
	sf, st := l.target(from), l.target(to)
	if sf == nil && st == nil {
		return l.next.Move(ctx, from, to, opts...)
	}
	t := l.beginWrite(from, to)
	err := l.next.Move(ctx, from, to, opts...)
	var victims []string
	l.endWrite(t, func(alone bool) {
		switch {
		case err != nil && unchanged(err):
		case err == nil && alone && len(opts) == 0 && sf != nil && st != nil:
			victims = l.rename(ctx, sf, st, from, to)
		default:
			if sf != nil {
				l.drop(ctx, sf, from)
			}
			if st != nil {
				l.drop(ctx, st, to)
			}
		}
	})
	l.evict(ctx, st, victims)
	return err
}

// Defrag builds a new item in the primary and drops a cached copy of the
// target, which it does not fill.
func (l *Layer) Defrag(ctx context.Context, sources []kv.Block, opts ...kv.Option) (string, error) {
	target, _ := backendkit.DefragTarget(opts)
	if s := l.target(target); s != nil {
		t := l.beginWrite(target)
		name, err := l.next.Defrag(ctx, sources, opts...)
		l.endWrite(t, func(bool) {
			if err == nil || !unchanged(err) {
				l.drop(ctx, s, target)
			}
		})
		return name, err
	}
	name, err := l.next.Defrag(ctx, sources, opts...)
	if s := l.target(name); err == nil && s != nil {
		l.dropWrite(ctx, s, name)
	}
	return name, err
}
