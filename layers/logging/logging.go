// Package logging is a kv.Backend layer that writes one log/slog record
// per call.
package logging

import (
	"context"
	"log/slog"
	"time"

	"github.com/kvcompose/compose/internal/observe"
	"github.com/kvcompose/compose/kv"
)

// Message is the message of every record the layer writes.
const Message = "kv call"

// The keys of the records' attributes.
const (
	KeyOp        = "op"        // the operation, kv.Op's name: "load", "store", ...
	KeyName      = "name"      // the item or directory; move: the source; defrag: the new item
	KeyTo        = "to"        // move: the target
	KeyOptions   = "options"   // the per-call options, when there are any
	KeyBytes     = "bytes"     // load: returned, store: given, defrag: of the source blocks; streams: read
	KeyStream    = "stream"    // load, store: true for LoadStream and StoreStream
	KeyExists    = "exists"    // info: whether the item exists
	KeyItems     = "items"     // list: the number of items yielded
	KeyAbandoned = "abandoned" // list: the caller stopped early
	KeyDuration  = "duration"  // time spent below the layer (list: inside the backend's iterator)
	KeyError     = "error"     // the error, when the call ended in one
)

// Layer writes one record per call that passes through it to a
// *slog.Logger, with the attributes of the Key constants.
//
// Levels: a call that succeeds, and one that ends in an error the caller
// expects (kv.ErrNotFound, context.Canceled, context.DeadlineExceeded: a
// Load of a missing item is normal business), is logged at Debug; a call
// that fails otherwise is logged at Warn, so that failures show with the
// usual Info level while the stream of calls shows only when Debug is on.
// Errors are returned unchanged: logging a failure does not handle it.
//
// The layer asks the logger whether Debug is enabled before each call.
// When it is not, the call is forwarded as it is, with no clock reading
// and no allocation, and only a failure is logged (at Warn, without a
// duration, since the call was not timed).
//
// A List writes one record when its iteration ends (or is abandoned), with
// the number of items yielded and the first error yielded; a List whose
// result is never ranged writes none.
//
// A LoadStream writes one record, with op "load" and KeyStream, when its
// stream ends (at its end, a Read error or Close, whichever comes first),
// not when LoadStream returns: with the bytes read, the time from the call
// to the end, and the stream's error, if any (a failure of the stream is
// logged at Warn also when Debug is off). A StoreStream writes one record
// with op "store" when the call returns, with the bytes read from src.
type Layer struct {
	next   kv.Backend
	logger *slog.Logger
}

var _ kv.Backend = (*Layer)(nil)

// New returns a logging layer over next that writes to logger, or to
// slog.Default() (at each call, so that a later slog.SetDefault applies)
// when logger is nil.
func New(next kv.Backend, logger *slog.Logger) *Layer {
	return &Layer{next: next, logger: logger}
}

// Unwrap returns the backend below the layer.
func (l *Layer) Unwrap() kv.Backend { return l.next }

// log returns the logger of the layer.
func (l *Layer) log() *slog.Logger {
	if l.logger != nil {
		return l.logger
	}
	return slog.Default()
}

// debug reports whether the records of calls that succeed are wanted; if
// so it returns the time the call starts.
func (l *Layer) debug(ctx context.Context) (time.Time, bool) {
	if !l.log().Enabled(ctx, slog.LevelDebug) {
		return time.Time{}, false
	}
	return time.Now(), true
}

// call is what a record says about one call.
type call struct {
	op       kv.Op
	name, to string
	opts     []kv.Option
	bytes    int64 // < 0: no bytes attribute
	info     bool  // an Info: exists is its answer
	exists   bool
	items    int // list
	list     bool
	stopped  bool
	stream   bool // LoadStream, StoreStream: bytes even with an error

	duration time.Duration // < 0: not timed
}

// since returns the duration since start, or -1 for an untimed call.
func since(start time.Time) time.Duration {
	if start.IsZero() {
		return -1
	}
	return time.Since(start)
}

// record writes the record of c, which ended with err, if the logger
// wants it.
func (l *Layer) record(ctx context.Context, c call, err error) {
	level := slog.LevelDebug
	if err != nil && !observe.Expected(err) {
		level = slog.LevelWarn
	}
	logger := l.log()
	if !logger.Enabled(ctx, level) {
		return
	}
	a := make([]slog.Attr, 0, 8)
	a = append(a, slog.String(KeyOp, c.op.String()))
	if c.name != "" {
		a = append(a, slog.String(KeyName, c.name))
	}
	if c.to != "" {
		a = append(a, slog.String(KeyTo, c.to))
	}
	if len(c.opts) > 0 {
		a = append(a, slog.Any(KeyOptions, c.opts))
	}
	if c.stream {
		a = append(a, slog.Bool(KeyStream, true))
	}
	if c.bytes >= 0 && (err == nil || c.stream) {
		a = append(a, slog.Int64(KeyBytes, c.bytes))
	}
	if c.info && err == nil {
		a = append(a, slog.Bool(KeyExists, c.exists))
	}
	if c.list {
		a = append(a, slog.Int(KeyItems, c.items))
		if c.stopped {
			a = append(a, slog.Bool(KeyAbandoned, true))
		}
	}
	if c.duration >= 0 {
		a = append(a, slog.Duration(KeyDuration, c.duration))
	}
	if err != nil {
		a = append(a, slog.Any(KeyError, err))
	}
	logger.LogAttrs(ctx, level, Message, a...)
}
