// Package quota is a kv.Backend layer that limits the bytes a store holds,
// keeping its usage inside the store. A StoreStream is limited and
// counted as a Store: by its declared size before its first byte, or as
// its bytes arrive when the size is unknown.
package quota

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

// Layer counts the bytes of the values in the store and refuses, with
// kv.ErrQuotaExceeded, a Store that would take the usage past the limit;
// the refused Store changes nothing. A StoreStream of a known size is
// refused the same way before it reads src; one of unknown size (-1)
// reserves its growth as the bytes arrive and fails the backend's Read of
// src with kv.ErrQuotaExceeded once it would pass the limit, so that
// nothing is stored (a retry layer below that rewinds src does not count
// its bytes twice).
//
// The usage changes by what a call really changed, and only once it is
// known: a Store by the new size less the size it replaces, a Delete by
// the size removed, a Move over an existing item by the size of the item
// replaced (sizes read with an Info before the call), a Defrag as the
// Store of its new item. A call that failed for a reason about the store
// (not found, permission, ...) changed nothing; a call whose outcome is
// unknown (the link broke: kv.ErrConnection, kv.ErrTransient, or a done
// context) is settled by an Info of its names afterwards, so a lost reply
// whose work was done counts, and one whose work was not done does not. A
// Move whose source was missing before it moved nothing, whatever a retry
// layer below reports. Soft-deleted items are items of the store and
// count, as the layer sits below soft delete; hidden items (kv.Hidden) are
// no values and do not count, as no scan sees them. Calls on the same name are
// serialized (on one of a fixed set of mutexes), so that the usage is
// exact under concurrency; calls on other names run in parallel (a
// StoreStream holds its name until it ends). The
// growth of Stores in flight is reserved against the limit, apart from
// the usage, and never reaches the record. The usage never goes below 0.
//
// The usage is kept inside the store, in a record at the root, as
// borgstore's posixfs keeps its quota.hid: the usage as a decimal number.
// The record is the hidden item "quota.hid" (kv.Hidden), which every
// driver's List leaves out, so that a store shared with borgstore keeps one
// count. It is read on Open, written when the usage moved PersistDelta
// bytes or PersistInterval passed since the last write, and on Close. Like
// borgstore, a write adds the layer's change since the last write to what
// the record holds, so that two processes serving one store both count.
//
// Before its first change a session writes a dirty mark (the hidden item
// "quota-dirty.hid"); a clean Close writes the record and removes the
// mark. An Open that finds the mark (the last session did not end
// cleanly: a crash, a kill) or no valid record scans the whole store and
// writes the record anew, so the record converges to the true usage after
// any unclean stop. A session that could not settle a call (the Info
// after an unknown outcome failed as well) keeps the mark at Close, so
// that the next Open scans. With several processes on one store, the
// first clean Close removes the mark of all.
type Layer struct {
	next  kv.Backend
	limit int64 // < 0: no limit

	names stripes // serializes the calls on one name

	mu       sync.Mutex
	open     bool      // opened through the layer: usage is known
	usage    int64     // the bytes stored, as far as the layer knows
	reserved int64     // the growth of Stores in flight
	base     int64     // the usage last read from or written to the record
	written  time.Time // when the record was last read or written
	unsure   bool      // a change could not be settled: keep the mark

	marked    atomic.Bool // the dirty mark is in the store
	markMu    sync.Mutex  // one mark write at a time
	persistMu sync.Mutex  // one record write at a time
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
	if name == theRecord.name || name == theMark.name {
		return backendkit.NewError(op, name, kv.ErrInvalidName, errors.New("reserved for the quota layer's record"))
	}
	return nil
}

// Create forwards Create; the record is written on Open.
func (l *Layer) Create(ctx context.Context) error { return l.next.Create(ctx) }

// Destroy forwards Destroy.
func (l *Layer) Destroy(ctx context.Context) error { return l.next.Destroy(ctx) }

// Open opens the store and reads the usage from the record, or scans the
// store when the record is missing or invalid, or the dirty mark says
// that the last session did not end cleanly. If that fails, the store is
// closed again and Open returns the error.
func (l *Layer) Open(ctx context.Context) error {
	if err := l.next.Open(ctx); err != nil {
		return err
	}
	if err := l.load(ctx); err != nil {
		_ = l.next.Close(context.WithoutCancel(ctx))
		return backendkit.NewError(kv.OpOpen, "", nil, fmt.Errorf("reading the quota usage: %w", err))
	}
	l.mu.Lock()
	l.open, l.reserved, l.unsure = true, 0, false
	l.mu.Unlock()
	return nil
}

// Close writes the usage to the record, removes the dirty mark unless a
// change could not be settled, and closes the store. If the record cannot
// be written, the layer deletes it, so that the next Open scans the store
// rather than trusting a stale record, closes the store all the same and
// returns the error.
func (l *Layer) Close(ctx context.Context) error {
	l.mu.Lock()
	open, unsure := l.open, l.unsure
	l.open = false
	l.mu.Unlock()
	if !open {
		return l.next.Close(ctx)
	}
	err := l.persist(ctx, true)
	if err != nil {
		_ = l.next.Delete(context.WithoutCancel(ctx), theRecord.name, theRecord.opts...)
		err = backendkit.NewError(kv.OpClose, "", nil, fmt.Errorf("writing the quota usage: %w", err))
	} else if !unsure && l.marked.Load() {
		if derr := l.next.Delete(ctx, theMark.name, theMark.opts...); derr == nil || errors.Is(derr, kv.ErrNotFound) {
			l.marked.Store(false)
		}
	}
	return errors.Join(err, l.next.Close(ctx))
}

// Quota returns the limit (-1 for none) and the usage, after asking the
// backend below, for its state checks. The usage leaves out the growth of
// Stores in flight.
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
	if backendkit.Has(opts, kv.KindHidden) {
		return l.next.Store(ctx, name, value, opts...) // not a value: no scan counts it
	}
	l.names.lock(name)
	err := l.store(ctx, name, value, opts)
	l.names.unlock(name)
	if err == nil {
		l.maybePersist(ctx)
	}
	return err
}

// store is Store with the name locked.
func (l *Layer) store(ctx context.Context, name string, value []byte, opts []kv.Option) error {
	size := int64(len(value))
	old, _, frame, err := l.sizeOf(ctx, kv.OpStore, name)
	if frame {
		// The Store fails as well, in its own frame; should it not, the
		// size it replaced is not known: it counts as new, and the next
		// Open scans.
		if err := l.next.Store(ctx, name, value, opts...); err != nil {
			return err
		}
		l.lost(ctx)
		l.commit(0, size)
		return nil
	}
	if err != nil {
		return err
	}
	delta := size - old
	if err := l.mark(ctx, kv.OpStore, name); err != nil {
		return err
	}
	growth := max(delta, 0)
	if growth > 0 {
		if err := l.reserve(kv.OpStore, name, growth); err != nil {
			return err
		}
	}
	err = l.next.Store(ctx, name, value, opts...)
	switch {
	case err == nil:
		l.commit(growth, delta)
	case unknown(err):
		if now, ok := l.settle(ctx, kv.OpStore, nil, name); ok {
			l.commit(growth, now-old)
		} else {
			l.commit(growth, growth) // the worst case, until the next Open scans
		}
	default:
		l.commit(growth, 0)
	}
	return err
}

// Delete deletes name and takes its size off the usage.
func (l *Layer) Delete(ctx context.Context, name string, opts ...kv.Option) error {
	if err := reserved(kv.OpDelete, name); err != nil {
		return err
	}
	if backendkit.Has(opts, kv.KindHidden) {
		return l.next.Delete(ctx, name, opts...) // not a value: no scan counts it
	}
	l.names.lock(name)
	err := l.delete(ctx, name, opts)
	l.names.unlock(name)
	if err == nil {
		l.maybePersist(ctx)
	}
	return err
}

// delete is Delete with the name locked.
func (l *Layer) delete(ctx context.Context, name string, opts []kv.Option) error {
	size, _, frame, err := l.sizeOf(ctx, kv.OpDelete, name, opts...) // kv.Deleted, if any
	if frame {
		// Fails in its frame as well; should it not, the size it freed
		// is not known.
		if err := l.next.Delete(ctx, name, opts...); err != nil {
			return err
		}
		l.lost(ctx)
		return nil
	}
	if err != nil {
		return err
	}
	if err := l.mark(ctx, kv.OpDelete, name); err != nil {
		return err
	}
	err = l.next.Delete(ctx, name, opts...)
	switch {
	case err == nil:
		l.commit(0, -size)
	case unknown(err):
		if now, ok := l.settle(ctx, kv.OpDelete, opts, name); ok {
			l.commit(0, now-size)
		}
	}
	return err
}

// Move moves from to to and takes the size of the item it replaces at to,
// if any, off the usage; a Move whose source was missing changes nothing,
// even when the backend below reports it done.
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
	l.names.lock2(from, to)
	changed, err := l.move(ctx, from, to, opts)
	l.names.unlock2(from, to)
	if err == nil && changed {
		l.maybePersist(ctx)
	}
	return err
}

// move is Move with both names locked; changed reports whether the usage
// changed.
func (l *Layer) move(ctx context.Context, from, to string, opts []kv.Option) (changed bool, err error) {
	src, srcExists, frame, err := l.sizeOf(ctx, kv.OpMove, from)
	var dst int64
	if !frame && err == nil {
		dst, _, frame, err = l.sizeOf(ctx, kv.OpMove, to)
	}
	if frame {
		// Fails in its frame as well; should it not, what it replaced
		// is not known.
		if err := l.next.Move(ctx, from, to, opts...); err != nil {
			return false, err
		}
		l.lost(ctx)
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if err := l.mark(ctx, kv.OpMove, from); err != nil {
		return false, err
	}
	err = l.next.Move(ctx, from, to, opts...)
	switch {
	case err == nil && srcExists:
		l.commit(0, -dst)
		return dst != 0, nil
	case err == nil:
		// The source was missing before the call (the names are locked):
		// nothing moved, whatever the backend below says (a retry that
		// found nothing reports done).
		return false, nil
	case unknown(err):
		if now, ok := l.settle(ctx, kv.OpMove, nil, from, to); ok {
			l.commit(0, now-(src+dst))
		}
		return true, err
	}
	return false, err
}

// Defrag builds the new item from its blocks through the layer (see
// backendkit.Defrag), so that its Store is counted and limited like any other.
func (l *Layer) Defrag(ctx context.Context, sources []kv.Block, opts ...kv.Option) (string, error) {
	if len(sources) == 0 {
		return l.next.Defrag(ctx, sources, opts...)
	}
	return backendkit.Defrag(ctx, l, sources, opts...)
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
			if err == nil && !it.Directory && (it.Name == theRecord.name || it.Name == theMark.name) {
				continue
			}
			if !yield(it, err) {
				return
			}
		}
	}
}
