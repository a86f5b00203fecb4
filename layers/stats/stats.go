// Package stats is a kv.Backend layer that counts calls, errors, time and
// bytes per operation. Streams count as loads and stores, their bytes as
// they flow, a LoadStream's call when the stream ends.
package stats

import (
	"context"
	"iter"
	"sync/atomic"
	"time"

	"github.com/kvcompose/compose/internal/observe"
	"github.com/kvcompose/compose/kv"
)

// OpNames returns the names of the counted operations, the keys of
// Snapshot.Ops, in a fixed order: the item calls info, load, store, delete,
// move, list, hash, defrag, mkdir, rmdir, then the store-wide calls create,
// destroy, open, close, quota.
func OpNames() []string {
	names := make([]string, kv.NumOps)
	for o := range kv.NumOps {
		names[o] = o.String()
	}
	return names
}

// counters are the atomic counters of one operation, padded to a cache
// line so that goroutines busy with different operations do not contend.
type counters struct {
	calls, errors, expected, nanos, bytes, wall atomic.Int64
	// busy is the number of calls in flight (the top 16 bits) and the
	// start of the current busy period, in nanoseconds since the layer's
	// epoch modulo 2^48 (the rest): wall adds up the busy periods.
	busy atomic.Uint64
	_    [8]byte
}

// The packing of counters.busy. A busy period that lasts longer than
// busyCheckpoint is added to wall and restarted at each call that ends, so
// that its length never wraps around 2^48 ns (78 hours).
const (
	busyShift      = 48
	busyTimeMask   = 1<<busyShift - 1
	busyMaxCalls   = 1<<(64-busyShift) - 1
	busyCheckpoint = uint64(time.Hour)
)

// started is the start of a call: its time, and whether it is counted in
// flight (not when busyMaxCalls are in flight already).
type started struct {
	at      time.Time
	tracked bool
}

// begin counts a call of o in flight and returns its start.
func (l *Layer) begin(o kv.Op) started {
	now := l.clock()
	t := uint64(now.Sub(l.epoch)) & busyTimeMask
	c := &l.ops[o]
	for {
		old := c.busy.Load()
		n := old >> busyShift
		next := old + 1<<busyShift
		switch n {
		case 0:
			next = 1<<busyShift | t
		case busyMaxCalls:
			return started{at: now}
		}
		if c.busy.CompareAndSwap(old, next) {
			return started{at: now, tracked: true}
		}
	}
}

// leave counts a call of c out of flight at t (ns since the epoch); the
// last one ends the busy period and adds it to wall.
func (c *counters) leave(t uint64) {
	t &= busyTimeMask
	for {
		old := c.busy.Load()
		n, start := old>>busyShift, old&busyTimeMask
		elapsed := (t - start) & busyTimeMask
		var next uint64
		switch {
		case n <= 1:
			next = 0
		case elapsed >= busyCheckpoint:
			next = (n-1)<<busyShift | t
		default:
			next, elapsed = old-1<<busyShift, 0
		}
		if c.busy.CompareAndSwap(old, next) {
			if elapsed > 0 {
				c.wall.Add(int64(elapsed))
			}
			return
		}
	}
}

// Layer counts the calls that pass through it. It is safe for concurrent
// use; every counter is updated atomically, with no lock.
//
// What is counted, per operation: a call when it returns (for List: once
// per iteration of the returned sequence); an error when it fails (for
// List: when the sequence yields an error), either as an expected error
// when the caller expects it in the normal course of things (kv.ErrNotFound,
// context.Canceled, context.DeadlineExceeded) or else as a failure; the
// time spent below the layer; and bytes: for load the bytes returned, for
// store the bytes given, for defrag the bytes of the source blocks; other
// operations, and calls that end in an error, count no bytes.
// LoadStream and StoreStream count as load and store, with their bytes
// counted as they flow (read by the caller from a LoadStream, read by the
// backend from a StoreStream's source), so a stream closed early or
// failed in the middle counts the bytes that passed; a LoadStream ends,
// and is counted with its time and its error, when the stream reaches
// its end, fails or is closed.
// The time of a List is only the time spent inside the backend's
// iterator, not in the caller's loop body.
type Layer struct {
	next  kv.Backend
	clock func() time.Time
	epoch time.Time // the clock when the layer was made
	ops   [kv.NumOps]counters
}

var _ kv.Backend = (*Layer)(nil)

// Option configures a Layer.
type Option func(*Layer)

// WithClock makes the layer read the time from now instead of time.Now,
// for deterministic tests and examples.
func WithClock(now func() time.Time) Option {
	return func(l *Layer) { l.clock = now }
}

// New returns a stats layer over next with every counter at zero.
func New(next kv.Backend, opts ...Option) *Layer {
	l := &Layer{next: next, clock: time.Now}
	for _, o := range opts {
		o(l)
	}
	l.epoch = l.clock()
	return l
}

// Unwrap returns the backend below the layer.
func (l *Layer) Unwrap() kv.Backend { return l.next }

// Reset sets every counter to zero. Calls in flight while it runs may be
// counted partly before and partly after the reset.
func (l *Layer) Reset() {
	for i := range l.ops {
		c := &l.ops[i]
		c.calls.Store(0)
		c.errors.Store(0)
		c.expected.Store(0)
		c.nanos.Store(0)
		c.bytes.Store(0)
		c.wall.Store(0)
	}
}

// Snapshot returns the current counters. Each counter is read atomically;
// calls that end while Snapshot runs may show in some counters and not yet
// in others.
func (l *Layer) Snapshot() Snapshot {
	s := Snapshot{Ops: make(map[string]OpStats, kv.NumOps)}
	for i := range l.ops {
		c := &l.ops[i]
		s.Ops[kv.Op(i).String()] = OpStats{
			Calls:    c.calls.Load(),
			Errors:   c.errors.Load(),
			Expected: c.expected.Load(),
			Time:     time.Duration(c.nanos.Load()),
			Wall:     time.Duration(c.wall.Load()),
			Bytes:    c.bytes.Load(),
		}
	}
	return s
}

// done records one call of o that started at start.
func (l *Layer) done(o kv.Op, start started, bytes int64, err error) {
	now := l.clock()
	if start.tracked {
		l.ops[o].leave(uint64(now.Sub(l.epoch)))
	}
	l.count(o, now.Sub(start.at), bytes, err)
}

// count records one call of o that took d.
func (l *Layer) count(o kv.Op, d time.Duration, bytes int64, err error) {
	c := &l.ops[o]
	c.nanos.Add(int64(d))
	c.calls.Add(1)
	switch {
	case err == nil:
		if bytes != 0 {
			c.bytes.Add(bytes)
		}
	case observe.Expected(err):
		c.expected.Add(1)
	default:
		c.errors.Add(1)
	}
}

// Create counts and forwards Create.
func (l *Layer) Create(ctx context.Context) error {
	start := l.begin(kv.OpCreate)
	err := l.next.Create(ctx)
	l.done(kv.OpCreate, start, 0, err)
	return err
}

// Destroy counts and forwards Destroy.
func (l *Layer) Destroy(ctx context.Context) error {
	start := l.begin(kv.OpDestroy)
	err := l.next.Destroy(ctx)
	l.done(kv.OpDestroy, start, 0, err)
	return err
}

// Open counts and forwards Open.
func (l *Layer) Open(ctx context.Context) error {
	start := l.begin(kv.OpOpen)
	err := l.next.Open(ctx)
	l.done(kv.OpOpen, start, 0, err)
	return err
}

// Close counts and forwards Close.
func (l *Layer) Close(ctx context.Context) error {
	start := l.begin(kv.OpClose)
	err := l.next.Close(ctx)
	l.done(kv.OpClose, start, 0, err)
	return err
}

// Mkdir counts and forwards Mkdir.
func (l *Layer) Mkdir(ctx context.Context, name string) error {
	start := l.begin(kv.OpMkdir)
	err := l.next.Mkdir(ctx, name)
	l.done(kv.OpMkdir, start, 0, err)
	return err
}

// Rmdir counts and forwards Rmdir.
func (l *Layer) Rmdir(ctx context.Context, name string) error {
	start := l.begin(kv.OpRmdir)
	err := l.next.Rmdir(ctx, name)
	l.done(kv.OpRmdir, start, 0, err)
	return err
}

// Info counts and forwards Info. A missing item is not an error.
func (l *Layer) Info(ctx context.Context, name string, opts ...kv.Option) (kv.ItemInfo, error) {
	start := l.begin(kv.OpInfo)
	info, err := l.next.Info(ctx, name, opts...)
	l.done(kv.OpInfo, start, 0, err)
	return info, err
}

// Load counts and forwards Load; its bytes are the bytes returned.
func (l *Layer) Load(ctx context.Context, name string, opts ...kv.Option) ([]byte, error) {
	start := l.begin(kv.OpLoad)
	value, err := l.next.Load(ctx, name, opts...)
	l.done(kv.OpLoad, start, int64(len(value)), err)
	return value, err
}

// Store counts and forwards Store; its bytes are the bytes given.
func (l *Layer) Store(ctx context.Context, name string, value []byte, opts ...kv.Option) error {
	start := l.begin(kv.OpStore)
	err := l.next.Store(ctx, name, value, opts...)
	l.done(kv.OpStore, start, int64(len(value)), err)
	return err
}

// Delete counts and forwards Delete.
func (l *Layer) Delete(ctx context.Context, name string, opts ...kv.Option) error {
	start := l.begin(kv.OpDelete)
	err := l.next.Delete(ctx, name, opts...)
	l.done(kv.OpDelete, start, 0, err)
	return err
}

// Move counts and forwards Move.
func (l *Layer) Move(ctx context.Context, from, to string, opts ...kv.Option) error {
	start := l.begin(kv.OpMove)
	err := l.next.Move(ctx, from, to, opts...)
	l.done(kv.OpMove, start, 0, err)
	return err
}

// Hash counts and forwards Hash.
func (l *Layer) Hash(ctx context.Context, name, algorithm string, opts ...kv.Option) (string, error) {
	start := l.begin(kv.OpHash)
	sum, err := l.next.Hash(ctx, name, algorithm, opts...)
	l.done(kv.OpHash, start, 0, err)
	return sum, err
}

// Defrag counts and forwards Defrag; its bytes are the sizes of the source
// blocks.
func (l *Layer) Defrag(ctx context.Context, sources []kv.Block, opts ...kv.Option) (string, error) {
	start := l.begin(kv.OpDefrag)
	name, err := l.next.Defrag(ctx, sources, opts...)
	var n int64
	for _, b := range sources {
		n += b.Size
	}
	l.done(kv.OpDefrag, start, n, err)
	return name, err
}

// Quota counts and forwards Quota.
func (l *Layer) Quota(ctx context.Context) (kv.Quota, error) {
	start := l.begin(kv.OpQuota)
	q, err := l.next.Quota(ctx)
	l.done(kv.OpQuota, start, 0, err)
	return q, err
}

// List counts and forwards List. The backend's List is called when the
// iteration starts; each iteration counts as one call, and as one error if
// an error is yielded. Only the time inside the backend's iterator counts,
// not the time the caller's loop body takes.
func (l *Layer) List(ctx context.Context, name string, opts ...kv.Option) iter.Seq2[kv.ItemInfo, error] {
	return func(yield func(kv.ItemInfo, error) bool) {
		observe.List(l.next.List(ctx, name, opts...), l.clock, yield, func(r observe.ListResult) {
			l.count(kv.OpList, r.Inside, 0, r.Err)
		})
	}
}
