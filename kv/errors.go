package kv

import (
	"errors"
	"strconv"
)

// The sentinel errors. Every error returned by a driver or a layer wraps one
// of them where one applies; test with errors.Is.
var (
	ErrNotFound      = errors.New("not found")
	ErrExists        = errors.New("already exists")
	ErrNoStore       = errors.New("store does not exist")
	ErrNotOpen       = errors.New("store is not open")
	ErrAlreadyOpen   = errors.New("store is already open")
	ErrInvalidName   = errors.New("invalid name")
	ErrInvalidURL    = errors.New("invalid url")
	ErrUnsupported   = errors.New("unsupported")
	ErrReadRange     = errors.New("read out of range")
	ErrPermission    = errors.New("permission denied")
	ErrQuotaExceeded = errors.New("quota exceeded")
	ErrConnection    = errors.New("connection failed")
	// ErrTransient marks a failure that may pass if the call is made again
	// (a server's "slow down", a timeout of its own): the retry layer
	// retries it as it does ErrConnection.
	ErrTransient = errors.New("transient failure")
	// ErrProtocol marks an answer of a remote store that breaks its
	// protocol: a listing, quota, hash or info that does not parse, a body
	// longer than what was asked, a redirect. The retry layer does not
	// retry it: the same server would answer the same.
	ErrProtocol = errors.New("protocol error")
	// ErrNotAStore is the error of Open and Destroy on a directory that no
	// store made: the message names the first entry a store would not hold.
	ErrNotAStore = errors.New("not a store")
	// ErrSizeMismatch is the error of StoreStream when its source holds
	// fewer or more bytes than the size it declared; nothing is stored.
	ErrSizeMismatch = errors.New("size does not match the declared size")
)

// Error is the error type of kvcompose: the operation, the item, the
// sentinel (Kind) and the underlying cause (Err), either of which may be nil.
// errors.Is and errors.As reach both Kind and Err.
type Error struct {
	Op   Op     // the call: OpLoad, OpStore, ...
	Name string // the item, "" for store-wide calls
	Kind error  // one of the sentinels, or nil
	Err  error  // the cause, or nil
}

// Error formats as `op "name": kind: cause`.
func (e *Error) Error() string {
	s := e.Op.String()
	if e.Name != "" {
		s += " " + strconv.Quote(e.Name)
	}
	if e.Kind != nil {
		s += ": " + e.Kind.Error()
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the sentinel and the cause.
func (e *Error) Unwrap() []error {
	switch {
	case e.Kind == nil:
		return []error{e.Err}
	case e.Err == nil:
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}
