package backendkit

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/kvcompose/compose/kv"
)

// Lifecycle holds the open/closed state of a driver and gives the errors of
// docs/semantics.md for calls made in the wrong state. The zero value is closed.
// It is safe for concurrent use.
type Lifecycle struct {
	mu   sync.Mutex // serializes Transition
	open atomic.Bool
}

// IsOpen reports whether the store is open.
func (l *Lifecycle) IsOpen() bool { return l.open.Load() }

// Transition is the frame of a driver's Create, Destroy, Open or Close (op):
// one at a time, it checks the state op needs (closed, or open for
// OpClose) and, except for OpClose, the context, then runs f, the driver's
// own work. OpOpen opens the store when f succeeds; OpClose closes it
// whatever f returns.
func (l *Lifecycle) Transition(ctx context.Context, op kv.Op, f func() error) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if op == kv.OpClose {
		if !l.open.Load() {
			return NewError(op, "", kv.ErrNotOpen, nil)
		}
		l.open.Store(false)
		return f()
	}
	if l.open.Load() {
		return NewError(op, "", kv.ErrAlreadyOpen, nil)
	}
	if err := ctx.Err(); err != nil {
		return NewError(op, "", nil, err)
	}
	if err := f(); err != nil {
		return err
	}
	if op == kv.OpOpen {
		l.open.Store(true)
	}
	return nil
}
