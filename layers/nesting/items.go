package nesting

import (
	"context"

	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

// Destroy, Create: see lifecycle.go.

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
	const op = kv.OpInfo
	if err := refuse(op, name, opts); err != nil {
		return kv.ItemInfo{}, err
	}
	if l.isDir(name) || len(opts) > 0 && backendkit.Has(opts, kv.KindHidden) {
		return l.next.Info(ctx, name, opts...)
	}
	it, err := l.resolve(op, name)
	if err != nil {
		return kv.ItemInfo{}, err
	}
	if m := l.stripe(it); m != nil {
		m.RLock()
		defer m.RUnlock()
	}
	var info kv.ItemInfo
	for _, lv := range it.ns.levels {
		n := it.at(lv)
		info, err = l.next.Info(ctx, n, opts...)
		if err != nil {
			return kv.ItemInfo{}, callerErr(err, op, n, name)
		}
		if info.Exists && !info.Directory {
			break
		}
	}
	info.Name = name
	return info, nil
}

// Load loads the item name from its level.
func (l *Layer) Load(ctx context.Context, name string, opts ...kv.Option) ([]byte, error) {
	return at(l, ctx, kv.OpLoad, name, opts, false, func(n string) ([]byte, error) {
		return l.next.Load(ctx, n, opts...)
	})
}

// Store stores the item name at its current level, or at the last
// configured level if it is new.
func (l *Layer) Store(ctx context.Context, name string, value []byte, opts ...kv.Option) error {
	_, err := at(l, ctx, kv.OpStore, name, opts, true, func(n string) (struct{}, error) {
		return struct{}{}, l.next.Store(ctx, n, value, opts...)
	})
	return err
}

// Delete deletes the item name from its level.
func (l *Layer) Delete(ctx context.Context, name string, opts ...kv.Option) error {
	_, err := at(l, ctx, kv.OpDelete, name, opts, true, func(n string) (struct{}, error) {
		return struct{}{}, l.next.Delete(ctx, n, opts...)
	})
	return err
}

// Hash hashes the item name at its level.
func (l *Layer) Hash(ctx context.Context, name, algorithm string, opts ...kv.Option) (string, error) {
	return at(l, ctx, kv.OpHash, name, opts, false, func(n string) (string, error) {
		return l.next.Hash(ctx, n, algorithm, opts...)
	})
}

// at runs call on the driver-level name of the caller's name for op, at
// the item's level, holding the item's stripe (alone if change is set,
// shared otherwise) from the probe that finds the level to the end of the
// call; errors speak of the caller's name.
func at[T any](l *Layer, ctx context.Context, op kv.Op, name string, opts []kv.Option, change bool, call func(n string) (T, error)) (T, error) {
	var zero T
	it, err := l.target(op, name, opts)
	if err != nil {
		return zero, err
	}
	if m := l.stripe(it); m != nil {
		if change {
			m.Lock()
			defer m.Unlock()
		} else {
			m.RLock()
			defer m.RUnlock()
		}
	}
	n, err := l.place(ctx, op, it)
	if err != nil {
		return zero, err
	}
	v, err := call(n)
	if err != nil {
		return zero, callerErr(err, op, n, name)
	}
	return v, nil
}
