package nesting

import (
	"context"

	"github.com/kvcompose/compose/kv"
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
	if l.isDir(name) || len(opts) > 0 && kv.Has(opts, kv.KindHidden) {
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
	const op = kv.OpLoad
	it, err := l.target(op, name, opts)
	if err != nil {
		return nil, err
	}
	if m := l.stripe(it); m != nil {
		m.RLock()
		defer m.RUnlock()
	}
	n, err := l.place(ctx, op, it)
	if err != nil {
		return nil, err
	}
	v, err := l.next.Load(ctx, n, opts...)
	return v, callerErr(err, op, n, name)
}

// Store stores the item name at its current level, or at the last
// configured level if it is new.
func (l *Layer) Store(ctx context.Context, name string, value []byte, opts ...kv.Option) error {
	const op = kv.OpStore
	it, err := l.target(op, name, opts)
	if err != nil {
		return err
	}
	if m := l.stripe(it); m != nil {
		m.Lock()
		defer m.Unlock()
	}
	n, err := l.place(ctx, op, it)
	if err != nil {
		return err
	}
	return callerErr(l.next.Store(ctx, n, value, opts...), op, n, name)
}

// Delete deletes the item name from its level.
func (l *Layer) Delete(ctx context.Context, name string, opts ...kv.Option) error {
	const op = kv.OpDelete
	it, err := l.target(op, name, opts)
	if err != nil {
		return err
	}
	if m := l.stripe(it); m != nil {
		m.Lock()
		defer m.Unlock()
	}
	n, err := l.place(ctx, op, it)
	if err != nil {
		return err
	}
	return callerErr(l.next.Delete(ctx, n, opts...), op, n, name)
}

// Hash hashes the item name at its level.
func (l *Layer) Hash(ctx context.Context, name, algorithm string, opts ...kv.Option) (string, error) {
	const op = kv.OpHash
	it, err := l.target(op, name, opts)
	if err != nil {
		return "", err
	}
	if m := l.stripe(it); m != nil {
		m.RLock()
		defer m.RUnlock()
	}
	n, err := l.place(ctx, op, it)
	if err != nil {
		return "", err
	}
	h, err := l.next.Hash(ctx, n, algorithm, opts...)
	return h, callerErr(err, op, n, name)
}
