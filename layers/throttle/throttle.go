// Package throttle is a kv.Backend layer that emulates a slow link: latency
// per call and bandwidth in bits per second, shared by all goroutines.
// Streams pay the latency once and are paced at the bandwidth as their
// bytes flow.
package throttle

import (
	"context"
	"iter"
	"time"

	"github.com/kvcompose/compose/internal/backoff"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

// Layer delays the calls that pass through it as a link of its Config
// would. It sits right above the driver, so that every backend call pays.
//
// A call that moved n bytes takes at least Latency + 8n/bandwidth; the time
// the backend itself took counts towards it (the layer measures it and
// sleeps the remainder). The bytes of all goroutines share one
// golang.org/x/time/rate limiter per direction (one for both directions
// when only Bandwidth is set), so concurrent transfers divide the
// bandwidth. Load downloads the bytes it returns, Store uploads the bytes
// it is given (also when it fails); every other call, and a failed Load,
// pays the latency only. Hash and Defrag are taken as computed at the
// remote end: latency only. List pays the latency once per backend List,
// before its first entry. A LoadStream pays the latency before it returns
// the reader, then each Read waits until the link has carried its bytes;
// a StoreStream paces each Read of its source the same way and pays the
// latency when it ends: a stream of n bytes takes Latency + 8n/bandwidth
// at least, however the bytes are cut into Reads. A wait cut short by the
// context fails the Read (and so the StoreStream) with the context's
// error. A sleep ends early when the context is done, and
// the call then returns the context's error (unless the backend already
// failed, whose error is returned).
type Layer struct {
	next     kv.Backend
	cfg      Config
	latency  time.Duration
	up, down *link // nil: unlimited
	off      bool  // nothing to emulate
}

var _ kv.Backend = (*Layer)(nil)

// New returns a throttle layer over next emulating the link cfg. Latency
// below 0 counts as 0; rates of 0 or below are unlimited.
func New(next kv.Backend, cfg Config) *Layer {
	l := &Layer{next: next, cfg: cfg, latency: max(cfg.Latency, 0)}
	if cfg.Upload > 0 || cfg.Download > 0 {
		up, down := cfg.Upload, cfg.Download
		if !(up > 0) {
			up = cfg.Bandwidth
		}
		if !(down > 0) {
			down = cfg.Bandwidth
		}
		l.up, l.down = newLink(up), newLink(down)
	} else {
		l.up = newLink(cfg.Bandwidth)
		l.down = l.up
	}
	l.off = l.latency == 0 && l.up == nil && l.down == nil
	return l
}

// Config returns the configuration the layer was made with.
func (l *Layer) Config() Config { return l.cfg }

// Unwrap returns the backend below the layer.
func (l *Layer) Unwrap() kv.Backend { return l.next }

// now returns the start time of a call, or the zero time when the layer
// emulates nothing (so that it costs nothing).
func (l *Layer) now() time.Time {
	if l.off {
		return time.Time{}
	}
	return time.Now()
}

// pay makes a call that started at start, and moved n bytes over k, last
// Latency + n/rate at least, and until the shared link has carried the
// bytes. err is the call's own error: it is returned as it is, after the
// sleep or when the sleep is cut short; without it a cut sleep returns the
// context's error wrapped for op on name.
func (l *Layer) pay(ctx context.Context, op kv.Op, name string, start time.Time, k *link, n int, err error) error {
	if l.off {
		return err
	}
	deadline := start.Add(l.latency)
	var cancel func(time.Time)
	if k != nil && n > 0 {
		deadline = deadline.Add(k.transfer(n))
		now := time.Now()
		carried, rs := k.reserve(now, n)
		if carried.After(deadline) {
			deadline = carried
		}
		cancel = func(t time.Time) {
			for i := len(rs) - 1; i >= 0; i-- {
				rs[i].CancelAt(t)
			}
		}
	}
	if serr := backoff.Sleep(ctx, time.Until(deadline)); serr != nil {
		if cancel != nil {
			cancel(time.Now()) // give back the bytes not carried yet
		}
		if err == nil {
			err = backendkit.NewError(op, name, nil, serr)
		}
	}
	return err
}

// Create forwards Create and pays the latency.
func (l *Layer) Create(ctx context.Context) error {
	start := l.now()
	return l.pay(ctx, kv.OpCreate, "", start, nil, 0, l.next.Create(ctx))
}

// Destroy forwards Destroy and pays the latency.
func (l *Layer) Destroy(ctx context.Context) error {
	start := l.now()
	return l.pay(ctx, kv.OpDestroy, "", start, nil, 0, l.next.Destroy(ctx))
}

// Open forwards Open and pays the latency.
func (l *Layer) Open(ctx context.Context) error {
	start := l.now()
	return l.pay(ctx, kv.OpOpen, "", start, nil, 0, l.next.Open(ctx))
}

// Close forwards Close and pays the latency.
func (l *Layer) Close(ctx context.Context) error {
	start := l.now()
	return l.pay(ctx, kv.OpClose, "", start, nil, 0, l.next.Close(ctx))
}

// Mkdir forwards Mkdir and pays the latency.
func (l *Layer) Mkdir(ctx context.Context, name string) error {
	start := l.now()
	return l.pay(ctx, kv.OpMkdir, name, start, nil, 0, l.next.Mkdir(ctx, name))
}

// Rmdir forwards Rmdir and pays the latency.
func (l *Layer) Rmdir(ctx context.Context, name string) error {
	start := l.now()
	return l.pay(ctx, kv.OpRmdir, name, start, nil, 0, l.next.Rmdir(ctx, name))
}

// Info forwards Info and pays the latency.
func (l *Layer) Info(ctx context.Context, name string, opts ...kv.Option) (kv.ItemInfo, error) {
	start := l.now()
	info, err := l.next.Info(ctx, name, opts...)
	if err = l.pay(ctx, kv.OpInfo, name, start, nil, 0, err); err != nil {
		return kv.ItemInfo{}, err
	}
	return info, nil
}

// Load forwards Load and pays the latency and the download of the bytes
// returned.
func (l *Layer) Load(ctx context.Context, name string, opts ...kv.Option) ([]byte, error) {
	start := l.now()
	value, err := l.next.Load(ctx, name, opts...)
	n := len(value)
	if err != nil {
		n = 0
	}
	if err = l.pay(ctx, kv.OpLoad, name, start, l.down, n, err); err != nil {
		return nil, err
	}
	return value, nil
}

// Store forwards Store and pays the latency and the upload of the value.
func (l *Layer) Store(ctx context.Context, name string, value []byte, opts ...kv.Option) error {
	start := l.now()
	err := l.next.Store(ctx, name, value, opts...)
	return l.pay(ctx, kv.OpStore, name, start, l.up, len(value), err)
}

// Delete forwards Delete and pays the latency.
func (l *Layer) Delete(ctx context.Context, name string, opts ...kv.Option) error {
	start := l.now()
	return l.pay(ctx, kv.OpDelete, name, start, nil, 0, l.next.Delete(ctx, name, opts...))
}

// Move forwards Move and pays the latency.
func (l *Layer) Move(ctx context.Context, from, to string, opts ...kv.Option) error {
	start := l.now()
	return l.pay(ctx, kv.OpMove, from, start, nil, 0, l.next.Move(ctx, from, to, opts...))
}

// Hash forwards Hash and pays the latency.
func (l *Layer) Hash(ctx context.Context, name, algorithm string, opts ...kv.Option) (string, error) {
	start := l.now()
	sum, err := l.next.Hash(ctx, name, algorithm, opts...)
	if err = l.pay(ctx, kv.OpHash, name, start, nil, 0, err); err != nil {
		return "", err
	}
	return sum, nil
}

// Defrag forwards Defrag and pays the latency.
func (l *Layer) Defrag(ctx context.Context, sources []kv.Block, opts ...kv.Option) (string, error) {
	start := l.now()
	name, err := l.next.Defrag(ctx, sources, opts...)
	if err = l.pay(ctx, kv.OpDefrag, name, start, nil, 0, err); err != nil {
		return "", err
	}
	return name, nil
}

// Quota forwards Quota and pays the latency.
func (l *Layer) Quota(ctx context.Context) (kv.Quota, error) {
	start := l.now()
	q, err := l.next.Quota(ctx)
	if err = l.pay(ctx, kv.OpQuota, "", start, nil, 0, err); err != nil {
		return kv.Quota{}, err
	}
	return q, nil
}

// List forwards List and pays the latency once per iteration, before the
// first entry (or the end of an empty listing). A sleep cut short by the
// context yields the context's error and ends the iteration.
func (l *Layer) List(ctx context.Context, name string, opts ...kv.Option) iter.Seq2[kv.ItemInfo, error] {
	if l.off {
		return l.next.List(ctx, name, opts...)
	}
	return func(yield func(kv.ItemInfo, error) bool) {
		start := time.Now()
		paid := false
		for it, err := range l.next.List(ctx, name, opts...) {
			if !paid {
				paid = true
				// A failing first entry keeps its own error: the sleep's
				// error never replaces it.
				if perr := l.pay(ctx, kv.OpList, name, start, nil, 0, err); perr != nil {
					yield(kv.ItemInfo{}, perr)
					return
				}
			}
			if !yield(it, err) {
				return
			}
		}
		if !paid {
			if perr := l.pay(ctx, kv.OpList, name, start, nil, 0, nil); perr != nil {
				yield(kv.ItemInfo{}, perr)
			}
		}
	}
}
