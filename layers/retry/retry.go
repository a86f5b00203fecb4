// Package retry is a kv.Backend layer that retries a backend call that
// failed for a reason that may pass: a broken connection (kv.ErrConnection)
// or an error that a driver marks as transient (kv.ErrTransient).
//
// Each call is retried alone, with exponential backoff and jitter, within
// the tries and the time of its Config. A call is never retried once its
// context is done, nor for an error that says something about the store
// rather than the link: not found, exists, no store, not open, already
// open, invalid name or URL, unsupported, read range, permission, quota
// (see Retryable). What each method does:
//
//   - Info, Load, Hash, Quota, Mkdir, Open: retried; they change nothing,
//     or nothing that a second call undoes (Mkdir accepts an existing
//     directory). Open that finds the store already open on a retry has
//     succeeded: the reply of the first try was lost.
//   - Store, Defrag: retried; a store is atomic, a retry overwrites the
//     item with the same value, or writes what the first try did not.
//   - Delete, Move, Rmdir: retried; kv.ErrNotFound on a retry (never on
//     the first try) means that an earlier try did the work and only its
//     reply was lost, and the call succeeds. Destroy alike with
//     kv.ErrNoStore. A Move checks that with an Info of its destination:
//     when that is missing too, nothing was moved, and the Move is
//     kv.ErrNotFound. The price: when the item was missing all along and
//     the first try failed on the link, a Delete, an Rmdir, or a Move over
//     an existing destination succeeds instead of reporting
//     kv.ErrNotFound; the layer cannot tell the two apart. A layer above
//     that counts what changed (quota) looks at the source before the call
//     rather than trusting the success.
//   - Create: retried; a store that a lost try created is empty, which
//     Create accepts.
//   - List: retried only when it fails before its first entry; once an
//     entry is yielded, a failure is yielded as it is.
//   - LoadStream: the call that opens the stream is retried as Load is; a
//     failure in the middle of the stream is returned by its Read, not
//     resumed (a second stream might read another version of the value).
//   - StoreStream: retried as Store is, but only while src can give the
//     value again: when the failed try read nothing from it, or when src
//     is an io.Seeker, sought back to its position at the call. Otherwise
//     the error of the try is returned.
//   - Close: not retried; a driver is closed whatever Close returns.
//
// When a call gives up, its error says after how many tries and wraps the
// last error, so errors.Is still finds kv.ErrConnection. The layer sits
// right above throttle (below cache, nesting and stats), so that each
// backend call is retried alone and the layers above count what the caller
// asked.
package retry

import (
	"context"
	"errors"
	"fmt"
	"iter"

	"github.com/kvcompose/compose/internal/backoff"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

// permanent are the errors that no retry fixes, even where a driver also
// wraps kv.ErrConnection or kv.ErrTransient.
var permanent = []error{
	kv.ErrNotFound, kv.ErrExists, kv.ErrNoStore, kv.ErrNotOpen, kv.ErrAlreadyOpen,
	kv.ErrInvalidName, kv.ErrInvalidURL, kv.ErrUnsupported, kv.ErrReadRange,
	kv.ErrPermission, kv.ErrQuotaExceeded,
}

// Retryable reports whether the layer retries a call that failed with err:
// err wraps kv.ErrConnection or kv.ErrTransient, and none of the sentinels
// that no retry fixes (kv.ErrNotFound, kv.ErrPermission, ...). A context
// error is retryable only when it is wrapped in kv.ErrConnection or
// kv.ErrTransient (a driver's own timeout); the layer still never retries
// once the caller's context is done.
func Retryable(err error) bool {
	if err == nil || !(errors.Is(err, kv.ErrConnection) || errors.Is(err, kv.ErrTransient)) {
		return false
	}
	for _, p := range permanent {
		if errors.Is(err, p) {
			return false
		}
	}
	return true
}

// Layer retries the calls that pass through it; see the package
// documentation. It is safe for concurrent use: each call keeps its own
// count of tries.
type Layer struct {
	next   kv.Backend
	cfg    Config
	policy backoff.Policy
}

var _ kv.Backend = (*Layer)(nil)

// New returns a retry layer over next with the bounds of cfg, whose zero
// fields take their defaults.
func New(next kv.Backend, cfg Config) *Layer {
	cfg = cfg.withDefaults()
	return &Layer{next: next, cfg: cfg, policy: cfg.policy()}
}

// Config returns the configuration of the layer, its defaults filled in.
func (l *Layer) Config() Config { return l.cfg }

// Unwrap returns the backend below the layer.
func (l *Layer) Unwrap() kv.Backend { return l.next }

// again retries f, a call of op on name whose first try failed with err,
// until it succeeds, fails for good, or the policy or ctx ends the series.
// done, if not nil, is the error that means on a retry that an earlier try
// did the work. A call that fails returns the zero T, never a part of a
// value that a try returned with its error.
func again[T any](ctx context.Context, l *Layer, op kv.Op, name string, done error, err error, f func() (T, error)) (T, error) {
	var zero T
	s := l.policy.Start()
	for {
		if werr := s.Wait(ctx); werr != nil {
			return zero, l.giveUp(op, name, s, err, werr)
		}
		var v T
		v, err = f()
		switch {
		case err == nil:
			return v, nil
		case done != nil && errors.Is(err, done):
			return zero, nil
		case !Retryable(err):
			return zero, err
		}
	}
}

// giveUp returns the error of a call of op on name that the series s ended
// with werr after the last error err.
func (l *Layer) giveUp(op kv.Op, name string, s *backoff.Series, err, werr error) error {
	if errors.Is(werr, backoff.ErrExhausted) {
		return backendkit.NewError(op, name, nil, fmt.Errorf("gave up after %d tries: %w", s.Tries(), err))
	}
	return backendkit.NewError(op, name, nil, fmt.Errorf("%w after %d tries, the last failed with: %w", werr, s.Tries(), err))
}

// none is the value of the calls that return only an error.
type none = struct{}

// errOnly adapts a call that returns only an error to again.
func errOnly(f func() error) func() (none, error) {
	return func() (none, error) { return none{}, f() }
}

// Create forwards Create, retried; a store that a lost try created is
// empty, which Create accepts.
func (l *Layer) Create(ctx context.Context) error {
	err := l.next.Create(ctx)
	if !Retryable(err) {
		return err
	}
	_, err = again(ctx, l, kv.OpCreate, "", nil, err, errOnly(func() error { return l.next.Create(ctx) }))
	return err
}

// Destroy forwards Destroy, retried; kv.ErrNoStore on a retry means that an
// earlier try destroyed the store.
func (l *Layer) Destroy(ctx context.Context) error {
	err := l.next.Destroy(ctx)
	if !Retryable(err) {
		return err
	}
	_, err = again(ctx, l, kv.OpDestroy, "", kv.ErrNoStore, err, errOnly(func() error { return l.next.Destroy(ctx) }))
	return err
}

// Open forwards Open, retried; kv.ErrAlreadyOpen on a retry means that an
// earlier try opened the store.
func (l *Layer) Open(ctx context.Context) error {
	err := l.next.Open(ctx)
	if !Retryable(err) {
		return err
	}
	_, err = again(ctx, l, kv.OpOpen, "", kv.ErrAlreadyOpen, err, errOnly(func() error { return l.next.Open(ctx) }))
	return err
}

// Close forwards Close once: a driver is closed whatever Close returns.
func (l *Layer) Close(ctx context.Context) error { return l.next.Close(ctx) }

// Mkdir forwards Mkdir, retried.
func (l *Layer) Mkdir(ctx context.Context, name string) error {
	err := l.next.Mkdir(ctx, name)
	if !Retryable(err) {
		return err
	}
	_, err = again(ctx, l, kv.OpMkdir, name, nil, err, errOnly(func() error { return l.next.Mkdir(ctx, name) }))
	return err
}

// Rmdir forwards Rmdir, retried; kv.ErrNotFound on a retry means that an
// earlier try removed the directory.
func (l *Layer) Rmdir(ctx context.Context, name string) error {
	err := l.next.Rmdir(ctx, name)
	if !Retryable(err) {
		return err
	}
	_, err = again(ctx, l, kv.OpRmdir, name, kv.ErrNotFound, err, errOnly(func() error { return l.next.Rmdir(ctx, name) }))
	return err
}

// Info forwards Info, retried.
func (l *Layer) Info(ctx context.Context, name string, opts ...kv.Option) (kv.ItemInfo, error) {
	info, err := l.next.Info(ctx, name, opts...)
	if !Retryable(err) {
		return info, err
	}
	return again(ctx, l, kv.OpInfo, name, nil, err, func() (kv.ItemInfo, error) { return l.next.Info(ctx, name, opts...) })
}

// Load forwards Load, retried.
func (l *Layer) Load(ctx context.Context, name string, opts ...kv.Option) ([]byte, error) {
	value, err := l.next.Load(ctx, name, opts...)
	if !Retryable(err) {
		return value, err
	}
	return again(ctx, l, kv.OpLoad, name, nil, err, func() ([]byte, error) { return l.next.Load(ctx, name, opts...) })
}

// Store forwards Store, retried: a store is atomic, and a retry writes the
// same value again.
func (l *Layer) Store(ctx context.Context, name string, value []byte, opts ...kv.Option) error {
	err := l.next.Store(ctx, name, value, opts...)
	if !Retryable(err) {
		return err
	}
	_, err = again(ctx, l, kv.OpStore, name, nil, err, errOnly(func() error { return l.next.Store(ctx, name, value, opts...) }))
	return err
}

// Delete forwards Delete, retried; kv.ErrNotFound on a retry means that an
// earlier try deleted the item.
func (l *Layer) Delete(ctx context.Context, name string, opts ...kv.Option) error {
	err := l.next.Delete(ctx, name, opts...)
	if !Retryable(err) {
		return err
	}
	_, err = again(ctx, l, kv.OpDelete, name, kv.ErrNotFound, err, errOnly(func() error { return l.next.Delete(ctx, name, opts...) }))
	return err
}

// Move forwards Move, retried. kv.ErrNotFound on a retry means that an
// earlier try moved the item when the destination exists now (an Info of
// it tells, or cannot tell); when the destination is missing as well, no
// try moved anything, and the Move is kv.ErrNotFound.
func (l *Layer) Move(ctx context.Context, from, to string, opts ...kv.Option) error {
	err := l.next.Move(ctx, from, to, opts...)
	if !Retryable(err) {
		return err
	}
	_, err = again(ctx, l, kv.OpMove, from, nil, err, errOnly(func() error {
		err := l.next.Move(ctx, from, to, opts...)
		if errors.Is(err, kv.ErrNotFound) && l.arrived(ctx, to) {
			return nil
		}
		return err
	}))
	return err
}

// arrived reports whether the destination to of a Move whose retry found
// its source gone exists, or cannot be looked at: then an earlier try most
// likely moved the item and only its reply was lost.
func (l *Layer) arrived(ctx context.Context, to string) bool {
	info, err := l.next.Info(ctx, to)
	return err != nil || info.Exists
}

// Hash forwards Hash, retried.
func (l *Layer) Hash(ctx context.Context, name, algorithm string, opts ...kv.Option) (string, error) {
	sum, err := l.next.Hash(ctx, name, algorithm, opts...)
	if !Retryable(err) {
		return sum, err
	}
	return again(ctx, l, kv.OpHash, name, nil, err, func() (string, error) { return l.next.Hash(ctx, name, algorithm, opts...) })
}

// Defrag forwards Defrag, retried: the new item is stored atomically, and
// a retry builds the same item again.
func (l *Layer) Defrag(ctx context.Context, sources []kv.Block, opts ...kv.Option) (string, error) {
	name, err := l.next.Defrag(ctx, sources, opts...)
	if !Retryable(err) {
		return name, err
	}
	first := ""
	if len(sources) > 0 {
		first = sources[0].Name
	}
	return again(ctx, l, kv.OpDefrag, first, nil, err, func() (string, error) { return l.next.Defrag(ctx, sources, opts...) })
}

// Quota forwards Quota, retried.
func (l *Layer) Quota(ctx context.Context) (kv.Quota, error) {
	q, err := l.next.Quota(ctx)
	if !Retryable(err) {
		return q, err
	}
	return again(ctx, l, kv.OpQuota, "", nil, err, func() (kv.Quota, error) { return l.next.Quota(ctx) })
}

// List forwards List. A backend List that fails before its first entry is
// started again, as the other calls are retried; once an entry is yielded,
// the entries and errors of the backend are yielded as they come.
func (l *Layer) List(ctx context.Context, name string, opts ...kv.Option) iter.Seq2[kv.ItemInfo, error] {
	return func(yield func(kv.ItemInfo, error) bool) {
		var s *backoff.Series
		for {
			started := false
			var failed error
			for it, err := range l.next.List(ctx, name, opts...) {
				if !started && Retryable(err) {
					failed = err
					break
				}
				started = true
				if !yield(it, err) {
					return
				}
			}
			if failed == nil {
				return
			}
			if s == nil {
				s = l.policy.Start()
			}
			if werr := s.Wait(ctx); werr != nil {
				yield(kv.ItemInfo{}, l.giveUp(kv.OpList, name, s, failed, werr))
				return
			}
		}
	}
}
