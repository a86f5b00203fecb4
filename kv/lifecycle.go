package kv

import "sync/atomic"

// Lifecycle holds the open/closed state of a driver and gives the errors of
// SEMANTICS.md for calls made in the wrong state. The zero value is closed.
// It is safe for concurrent use.
type Lifecycle struct {
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
