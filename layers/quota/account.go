package quota

import (
	"context"
	"errors"
	"fmt"

	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

// frameError reports whether err is an error of a call's frame (see
// backendkit.Lifecycle.Begin: the store is not open, the name or an option is
// invalid, the context is done), given before any I/O.
func frameError(err error) bool {
	return errors.Is(err, kv.ErrNotOpen) || errors.Is(err, kv.ErrInvalidName) ||
		errors.Is(err, kv.ErrUnsupported) || errors.Is(err, context.Canceled) ||
		errors.Is(err, context.DeadlineExceeded)
}

// unknown reports whether a mutating call that failed with err may have
// done its work all the same: the link broke (kv.ErrConnection,
// kv.ErrTransient) or the context ended while it ran, and no sentinel says
// that the store refused it.
func unknown(err error) bool {
	for _, sure := range []error{
		kv.ErrNotFound, kv.ErrExists, kv.ErrNoStore, kv.ErrNotOpen, kv.ErrAlreadyOpen,
		kv.ErrInvalidName, kv.ErrUnsupported, kv.ErrReadRange, kv.ErrPermission, kv.ErrQuotaExceeded,
	} {
		if errors.Is(err, sure) {
			return false
		}
	}
	return errors.Is(err, kv.ErrConnection) || errors.Is(err, kv.ErrTransient) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// sizeOf returns the size of the item name, 0 for a missing one or a
// directory, read with an Info with opts, and whether it exists; op names
// the call that needs it, for errors. frame is true when the Info failed
// in its frame (frameError): the caller then makes its own call, which
// fails in its own frame with the error that the order of the checks
// gives.
func (l *Layer) sizeOf(ctx context.Context, op kv.Op, name string, opts ...kv.Option) (size int64, exists, frame bool, err error) {
	info, err := l.next.Info(ctx, name, opts...)
	if err != nil {
		return 0, false, frameError(err), backendkit.NewError(op, name, nil, err)
	}
	if !info.Exists || info.Directory {
		return 0, info.Exists, false, nil
	}
	return info.Size, true, false, nil
}

// settle returns the bytes that the items names hold now, read with an
// Info each after a call whose outcome is unknown; ok is false when an
// Info failed too: the layer then cannot know and keeps its dirty mark.
func (l *Layer) settle(ctx context.Context, op kv.Op, opts []kv.Option, names ...string) (held int64, ok bool) {
	// The caller's context may be what ended the call.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
	defer cancel()
	for _, name := range names {
		size, _, _, err := l.sizeOf(ctx, op, name, opts...)
		if err != nil {
			l.lost(ctx)
			return 0, false
		}
		held += size
	}
	return held, true
}

// lost notes a change whose size the layer could not know: the session
// keeps its dirty mark (written now if need be), and the next Open scans.
func (l *Layer) lost(ctx context.Context) {
	l.mu.Lock()
	l.unsure = true
	l.mu.Unlock()
	_ = l.mark(ctx, kv.OpStore, "")
}

// reserve reserves delta bytes for a Store in flight; growth that would
// take the usage and the reservations past the limit is an
// ErrQuotaExceeded error for op on name, and reserves nothing.
func (l *Layer) reserve(op kv.Op, name string, delta int64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.limit >= 0 && l.usage+l.reserved+delta > l.limit {
		return backendkit.NewError(op, name, kv.ErrQuotaExceeded,
			fmt.Errorf("%d more bytes would take the usage from %d past the limit of %d", delta, l.usage+l.reserved, l.limit))
	}
	l.reserved += delta
	return nil
}

// commit releases a reservation of reserved bytes and adds delta, what a
// call really changed, to the usage, which never goes below 0 (were it
// to, the layer's count drifted: it keeps its dirty mark).
func (l *Layer) commit(reserved, delta int64) {
	l.mu.Lock()
	l.reserved -= reserved
	l.usage += delta
	if l.usage < 0 {
		l.usage, l.unsure = 0, true
	}
	l.mu.Unlock()
}
