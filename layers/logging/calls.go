package logging

import (
	"context"
	"iter"
	"time"

	"github.com/kvcompose/compose/internal/observe"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

// plain logs a call that has only a name and options and returns only an
// error.
func (l *Layer) plain(ctx context.Context, op kv.Op, name string, opts []kv.Option, f func(context.Context) error) error {
	start, debug := l.debug(ctx)
	err := f(ctx)
	if debug || err != nil {
		l.record(ctx, call{op: op, name: name, opts: opts, bytes: -1, duration: since(start)}, err)
	}
	return err
}

// Create logs Create.
func (l *Layer) Create(ctx context.Context) error {
	return l.plain(ctx, kv.OpCreate, "", nil, l.next.Create)
}

// Destroy logs Destroy.
func (l *Layer) Destroy(ctx context.Context) error {
	return l.plain(ctx, kv.OpDestroy, "", nil, l.next.Destroy)
}

// Open logs Open.
func (l *Layer) Open(ctx context.Context) error {
	return l.plain(ctx, kv.OpOpen, "", nil, l.next.Open)
}

// Close logs Close.
func (l *Layer) Close(ctx context.Context) error {
	return l.plain(ctx, kv.OpClose, "", nil, l.next.Close)
}

// Mkdir logs Mkdir.
func (l *Layer) Mkdir(ctx context.Context, name string) error {
	start, debug := l.debug(ctx)
	err := l.next.Mkdir(ctx, name)
	if debug || err != nil {
		l.record(ctx, call{op: kv.OpMkdir, name: name, bytes: -1, duration: since(start)}, err)
	}
	return err
}

// Rmdir logs Rmdir.
func (l *Layer) Rmdir(ctx context.Context, name string) error {
	start, debug := l.debug(ctx)
	err := l.next.Rmdir(ctx, name)
	if debug || err != nil {
		l.record(ctx, call{op: kv.OpRmdir, name: name, bytes: -1, duration: since(start)}, err)
	}
	return err
}

// Delete logs Delete.
func (l *Layer) Delete(ctx context.Context, name string, opts ...kv.Option) error {
	start, debug := l.debug(ctx)
	err := l.next.Delete(ctx, name, opts...)
	if debug || err != nil {
		l.record(ctx, call{op: kv.OpDelete, name: name, opts: opts, bytes: -1, duration: since(start)}, err)
	}
	return err
}

// Info logs Info, with whether the item exists.
func (l *Layer) Info(ctx context.Context, name string, opts ...kv.Option) (kv.ItemInfo, error) {
	start, debug := l.debug(ctx)
	info, err := l.next.Info(ctx, name, opts...)
	if debug || err != nil {
		l.record(ctx, call{op: kv.OpInfo, name: name, opts: opts, bytes: -1, info: true, exists: info.Exists,
			duration: since(start)}, err)
	}
	return info, err
}

// Load logs Load, with the bytes returned.
func (l *Layer) Load(ctx context.Context, name string, opts ...kv.Option) ([]byte, error) {
	start, debug := l.debug(ctx)
	value, err := l.next.Load(ctx, name, opts...)
	if debug || err != nil {
		l.record(ctx, call{op: kv.OpLoad, name: name, opts: opts, bytes: int64(len(value)),
			duration: since(start)}, err)
	}
	return value, err
}

// Store logs Store, with the bytes given.
func (l *Layer) Store(ctx context.Context, name string, value []byte, opts ...kv.Option) error {
	start, debug := l.debug(ctx)
	err := l.next.Store(ctx, name, value, opts...)
	if debug || err != nil {
		l.record(ctx, call{op: kv.OpStore, name: name, opts: opts, bytes: int64(len(value)),
			duration: since(start)}, err)
	}
	return err
}

// Move logs Move, with its source as the name and its target.
func (l *Layer) Move(ctx context.Context, from, to string, opts ...kv.Option) error {
	start, debug := l.debug(ctx)
	err := l.next.Move(ctx, from, to, opts...)
	if debug || err != nil {
		l.record(ctx, call{op: kv.OpMove, name: from, to: to, opts: opts, bytes: -1,
			duration: since(start)}, err)
	}
	return err
}

// Hash logs Hash.
func (l *Layer) Hash(ctx context.Context, name, algorithm string, opts ...kv.Option) (string, error) {
	start, debug := l.debug(ctx)
	sum, err := l.next.Hash(ctx, name, algorithm, opts...)
	if debug || err != nil {
		l.record(ctx, call{op: kv.OpHash, name: name, opts: opts, bytes: -1, duration: since(start)}, err)
	}
	return sum, err
}

// Defrag logs Defrag, with the new item's name and the bytes of the
// source blocks.
func (l *Layer) Defrag(ctx context.Context, sources []kv.Block, opts ...kv.Option) (string, error) {
	start, debug := l.debug(ctx)
	name, err := l.next.Defrag(ctx, sources, opts...)
	if debug || err != nil {
		var n int64
		for _, b := range sources {
			n += b.Size
		}
		target := name
		if target == "" {
			target, _ = backendkit.DefragTarget(opts)
		}
		l.record(ctx, call{op: kv.OpDefrag, name: target, opts: opts, bytes: n, duration: since(start)}, err)
	}
	return name, err
}

// Quota logs Quota.
func (l *Layer) Quota(ctx context.Context) (kv.Quota, error) {
	start, debug := l.debug(ctx)
	q, err := l.next.Quota(ctx)
	if debug || err != nil {
		l.record(ctx, call{op: kv.OpQuota, bytes: -1, duration: since(start)}, err)
	}
	return q, err
}

// List logs List: one record when the iteration ends, with the number of
// items yielded, the first error yielded and the time spent inside the
// backend's iterator.
func (l *Layer) List(ctx context.Context, name string, opts ...kv.Option) iter.Seq2[kv.ItemInfo, error] {
	return func(yield func(kv.ItemInfo, error) bool) {
		_, debug := l.debug(ctx)
		var now func() time.Time
		if debug {
			now = time.Now
		}
		observe.List(l.next.List(ctx, name, opts...), now, yield, func(r observe.ListResult) {
			if !debug && r.Err == nil {
				return
			}
			d := r.Inside
			if !debug {
				d = -1
			}
			l.record(ctx, call{op: kv.OpList, name: name, opts: opts, bytes: -1, list: true,
				items: r.Items, stopped: r.Abandoned, duration: d}, r.Err)
		})
	}
}
