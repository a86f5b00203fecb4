// Package quota is a kv.Backend layer that limits the bytes a store holds,
// keeping its usage inside the store.
package quota

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"sync"
	"time"

	"github.com/kvcompose/compose/kv"
)

// Layer counts the bytes of the values in the store and refuses, with
// kv.ErrQuotaExceeded, a Store that would take the usage past the limit;
// the refused Store changes nothing.
//
// The usage changes on Store (by the new size less the size it replaces,
// which an Info before the Store reads), Delete (by the size removed, read
// the same way), Move over an existing item (by the size of the item
// replaced) and Defrag (a Store of the new item). Soft-deleted items are
// items of the store and count, as the layer sits below soft delete. Calls
// on the same name are serialized (on one of a fixed set of mutexes), so
// that the usage is exact under concurrency; calls on other names run in
// parallel. Defrag reads its blocks through the layer and stores the new
// item through it, rather than calling the Defrag of the backend below.
//
// The usage is kept inside the store, in a record at the root, as
// borgstore's posixfs keeps its quota.hid: the usage as a decimal number.
// The record is the hidden item "quota.hid" (kv.Hidden), which every
// driver's List leaves out, so that a store shared with borgstore keeps one
// count. It is read on Open, written when the usage moved PersistDelta
// bytes or PersistInterval passed since the last write, and on Close. A
// missing or invalid record is rebuilt from a scan of the whole store on
// Open. Like borgstore, a write adds the layer's change since the last
// write to what the record holds, so that two processes serving one store
// both count; a crash loses the changes not yet written, at most
// PersistDelta bytes or PersistInterval.
type Layer struct {
	next  kv.Backend
	limit int64 // < 0: no limit

	names stripes // serializes the calls on one name

	mu      sync.Mutex
	open    bool      // opened through the layer: usage is known
	usage   int64     // the bytes stored, and the growth of Stores in flight
	base    int64     // the usage last read from or written to the record
	written time.Time // when the record was last read or written

	persistMu sync.Mutex // one record write at a time
}

var _ kv.Backend = (*Layer)(nil)

// New returns a quota layer over next that allows the store to hold limit
// bytes of values; a negative limit counts the usage without a limit.
func New(next kv.Backend, limit int64) *Layer {
	return &Layer{next: next, limit: max(limit, -1)}
}

// Unwrap returns the backend below the layer.
func (l *Layer) Unwrap() kv.Backend { return l.next }

// Limit returns the limit of the layer, -1 for none.
func (l *Layer) Limit() int64 { return l.limit }

// reserved returns an ErrInvalidName error if name is the layer's record.
func reserved(op kv.Op, name string) error {
	if name == theRecord.name {
		return kv.NewError(op.String(), name, kv.ErrInvalidName, errors.New("reserved for the quota layer's record"))
	}
	return nil
}

// sizeOf returns the size of the item name, 0 for a missing one or a
// directory, read with an Info with opts; op names the call that needs it,
// for errors. frame is true when the Info failed in its frame (the store is
// not open, the name or an option is invalid, the context is done; see
// kv.Lifecycle.Begin): the caller then makes its own call, which fails in
// its own frame with the error that the order of the checks gives.
func (l *Layer) sizeOf(ctx context.Context, op kv.Op, name string, opts ...kv.Option) (size int64, frame bool, err error) {
	info, err := l.next.Info(ctx, name, opts...)
	if err != nil {
		frame = errors.Is(err, kv.ErrNotOpen) || errors.Is(err, kv.ErrInvalidName) ||
			errors.Is(err, kv.ErrUnsupported) || errors.Is(err, context.Canceled) ||
			errors.Is(err, context.DeadlineExceeded)
		return 0, frame, kv.NewError(op.String(), name, nil, err)
	}
	if !info.Exists || info.Directory {
		return 0, false, nil
	}
	return info.Size, false, nil
}

// grow adds delta to the usage; growth that would pass the limit is an
// ErrQuotaExceeded error for op on name, and changes nothing.
func (l *Layer) grow(op kv.Op, name string, delta int64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if delta > 0 && l.limit >= 0 && l.usage+delta > l.limit {
		return kv.NewError(op.String(), name, kv.ErrQuotaExceeded,
			fmt.Errorf("%d more bytes would take the usage from %d past the limit of %d", delta, l.usage, l.limit))
	}
	l.usage += delta
	return nil
}

// add adds delta to the usage, without a limit.
func (l *Layer) add(delta int64) {
	l.mu.Lock()
	l.usage += delta
	l.mu.Unlock()
}

// Create forwards Create; the record is written on Open.
func (l *Layer) Create(ctx context.Context) error { return l.next.Create(ctx) }

// Destroy forwards Destroy.
func (l *Layer) Destroy(ctx context.Context) error { return l.next.Destroy(ctx) }

// Open opens the store and reads the usage from the record, or scans the
// store when the record is missing or invalid. If that fails, the store is
// closed again and Open returns the error.
func (l *Layer) Open(ctx context.Context) error {
	if err := l.next.Open(ctx); err != nil {
		return err
	}
	if err := l.load(ctx); err != nil {
		_ = l.next.Close(context.WithoutCancel(ctx))
		return kv.NewError(kv.OpOpen.String(), "", nil, fmt.Errorf("reading the quota usage: %w", err))
	}
	l.mu.Lock()
	l.open = true
	l.mu.Unlock()
	return nil
}

// Close writes the usage to the record and closes the store. If the record
// cannot be written, the layer deletes it, so that the next Open scans the
// store rather than trusting a stale record, closes the store all the same
// and returns the error.
func (l *Layer) Close(ctx context.Context) error {
	l.mu.Lock()
	open := l.open
	l.open = false
	l.mu.Unlock()
	if !open {
		return l.next.Close(ctx)
	}
	err := l.persist(ctx, true)
	if err != nil {
		_ = l.next.Delete(context.WithoutCancel(ctx), theRecord.name, theRecord.opts...)
		err = kv.NewError(kv.OpClose.String(), "", nil, fmt.Errorf("writing the quota usage: %w", err))
	}
	return errors.Join(err, l.next.Close(ctx))
}

// Quota returns the limit (-1 for none) and the usage, after asking the
// backend below, for its state checks.
func (l *Layer) Quota(ctx context.Context) (kv.Quota, error) {
	if _, err := l.next.Quota(ctx); err != nil {
		return kv.Quota{}, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return kv.Quota{Limit: l.limit, Usage: l.usage}, nil
}

// Store stores value unless the growth it brings (its size less the size
// of the item it replaces) takes the usage past the limit: that is a
// kv.ErrQuotaExceeded error, and the old item stays.
func (l *Layer) Store(ctx context.Context, name string, value []byte, opts ...kv.Option) error {
	if err := reserved(kv.OpStore, name); err != nil {
		return err
	}
	i := l.names.lock(name)
	err := l.store(ctx, name, value, opts)
	l.names[i].Unlock()
	if err == nil {
		l.maybePersist(ctx)
	}
	return err
}

// store is Store with the name locked.
func (l *Layer) store(ctx context.Context, name string, value []byte, opts []kv.Option) error {
	old, frame, err := l.sizeOf(ctx, kv.OpStore, name)
	if frame {
		// The Store fails as well; should it not, it counts as new.
		if err := l.next.Store(ctx, name, value, opts...); err != nil {
			return err
		}
		l.add(int64(len(value)))
		return nil
	}
	if err != nil {
		return err
	}
	delta := int64(len(value)) - old
	if delta > 0 {
		if err := l.grow(kv.OpStore, name, delta); err != nil {
			return err
		}
	}
	if err := l.next.Store(ctx, name, value, opts...); err != nil {
		if delta > 0 {
			l.add(-delta)
		}
		return err
	}
	if delta < 0 {
		l.add(delta)
	}
	return nil
}

// Delete deletes name and takes its size off the usage.
func (l *Layer) Delete(ctx context.Context, name string, opts ...kv.Option) error {
	if err := reserved(kv.OpDelete, name); err != nil {
		return err
	}
	i := l.names.lock(name)
	size, frame, err := l.sizeOf(ctx, kv.OpDelete, name, opts...) // kv.Deleted, if any
	if frame {
		size, err = 0, l.next.Delete(ctx, name, opts...) // fails in its frame as well
	} else if err == nil {
		err = l.next.Delete(ctx, name, opts...)
	}
	if err == nil {
		l.add(-size)
	}
	l.names[i].Unlock()
	if err == nil {
		l.maybePersist(ctx)
	}
	return err
}

// Move moves from to to and takes the size of the item it replaces at to,
// if any, off the usage.
func (l *Layer) Move(ctx context.Context, from, to string, opts ...kv.Option) error {
	if err := reserved(kv.OpMove, from); err != nil {
		return err
	}
	if err := reserved(kv.OpMove, to); err != nil {
		return err
	}
	if from == to {
		return l.next.Move(ctx, from, to, opts...)
	}
	i, j := l.names.lock2(from, to)
	size, frame, err := l.sizeOf(ctx, kv.OpMove, to)
	if frame {
		size, err = 0, l.next.Move(ctx, from, to, opts...) // fails in its frame as well
	} else if err == nil {
		err = l.next.Move(ctx, from, to, opts...)
	}
	if err == nil {
		l.add(-size)
	}
	l.names.unlock2(i, j)
	if err == nil && size > 0 {
		l.maybePersist(ctx)
	}
	return err
}

// Defrag builds the new item from its blocks through the layer (see
// kv.Defrag), so that its Store is counted and limited like any other.
func (l *Layer) Defrag(ctx context.Context, sources []kv.Block, opts ...kv.Option) (string, error) {
	if len(sources) == 0 {
		return l.next.Defrag(ctx, sources, opts...)
	}
	return kv.Defrag(ctx, l, sources, opts...)
}

// Mkdir forwards Mkdir.
func (l *Layer) Mkdir(ctx context.Context, name string) error {
	if err := reserved(kv.OpMkdir, name); err != nil {
		return err
	}
	return l.next.Mkdir(ctx, name)
}

// Rmdir forwards Rmdir.
func (l *Layer) Rmdir(ctx context.Context, name string) error {
	if err := reserved(kv.OpRmdir, name); err != nil {
		return err
	}
	return l.next.Rmdir(ctx, name)
}

// Info forwards Info.
func (l *Layer) Info(ctx context.Context, name string, opts ...kv.Option) (kv.ItemInfo, error) {
	if err := reserved(kv.OpInfo, name); err != nil {
		return kv.ItemInfo{}, err
	}
	return l.next.Info(ctx, name, opts...)
}

// Load forwards Load.
func (l *Layer) Load(ctx context.Context, name string, opts ...kv.Option) ([]byte, error) {
	if err := reserved(kv.OpLoad, name); err != nil {
		return nil, err
	}
	return l.next.Load(ctx, name, opts...)
}

// Hash forwards Hash.
func (l *Layer) Hash(ctx context.Context, name, algorithm string, opts ...kv.Option) (string, error) {
	if err := reserved(kv.OpHash, name); err != nil {
		return "", err
	}
	return l.next.Hash(ctx, name, algorithm, opts...)
}

// List forwards List, leaving the record out of the root.
func (l *Layer) List(ctx context.Context, name string, opts ...kv.Option) iter.Seq2[kv.ItemInfo, error] {
	if name != "" {
		return l.next.List(ctx, name, opts...)
	}
	return func(yield func(kv.ItemInfo, error) bool) {
		for it, err := range l.next.List(ctx, name, opts...) {
			if err == nil && !it.Directory && it.Name == theRecord.name {
				continue
			}
			if !yield(it, err) {
				return
			}
		}
	}
}
