package kv

import (
	"context"
	"sync"
	"sync/atomic"
)

// Lifecycle holds the open/closed state of a driver and gives the errors of
// SEMANTICS.md for calls made in the wrong state. The zero value is closed.
// It is safe for concurrent use.
type Lifecycle struct {
	mu   sync.Mutex // serializes Transition
	open atomic.Bool
}

// IsOpen reports whether the store is open.
func (l *Lifecycle) IsOpen() bool { return l.open.Load() }

// CheckOpen returns an ErrNotOpen error for op on name unless the store is
// open. Item calls and Close call it first, before validating names.
func (l *Lifecycle) CheckOpen(op, name string) error {
	if !l.open.Load() {
		return NewError(op, name, ErrNotOpen, nil)
	}
	return nil
}

// CheckClosed returns an ErrAlreadyOpen error for op unless the store is
// closed. Create, Destroy and Open call it first.
func (l *Lifecycle) CheckClosed(op string) error {
	if l.open.Load() {
		return NewError(op, "", ErrAlreadyOpen, nil)
	}
	return nil
}

// SetOpen records that the store was opened (true) or closed (false).
func (l *Lifecycle) SetOpen(open bool) { l.open.Store(open) }

// Transition is the frame of a driver's Create, Destroy, Open or Close (op):
// one at a time, it checks the state op needs (closed, or open for
// OpClose) and, except for OpClose, the context, then runs f, the driver's
// own work. OpOpen opens the store when f succeeds; OpClose closes it
// whatever f returns.
func (l *Lifecycle) Transition(ctx context.Context, op Op, f func() error) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if op == OpClose {
		if err := l.CheckOpen(op.String(), ""); err != nil {
			return err
		}
		l.SetOpen(false)
		return f()
	}
	if err := l.CheckClosed(op.String()); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return NewError(op.String(), "", nil, err)
	}
	if err := f(); err != nil {
		return err
	}
	if op == OpOpen {
		l.SetOpen(true)
	}
	return nil
}
