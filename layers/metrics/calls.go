package metrics

import (
	"context"
	"iter"
	"time"

	"github.com/kvcompose/compose/internal/observe"
	"github.com/kvcompose/compose/kv"
)

// Create measures and forwards Create.
func (l *Layer) Create(ctx context.Context) error {
	start := now()
	err := l.next.Create(ctx)
	l.done(ctx, kv.OpCreate, start, 0, err)
	return err
}

// Destroy measures and forwards Destroy.
func (l *Layer) Destroy(ctx context.Context) error {
	start := now()
	err := l.next.Destroy(ctx)
	l.done(ctx, kv.OpDestroy, start, 0, err)
	return err
}

// Open measures and forwards Open.
func (l *Layer) Open(ctx context.Context) error {
	start := now()
	err := l.next.Open(ctx)
	l.done(ctx, kv.OpOpen, start, 0, err)
	return err
}

// Close measures and forwards Close.
func (l *Layer) Close(ctx context.Context) error {
	start := now()
	err := l.next.Close(ctx)
	l.done(ctx, kv.OpClose, start, 0, err)
	return err
}

// Mkdir measures and forwards Mkdir.
func (l *Layer) Mkdir(ctx context.Context, name string) error {
	start := now()
	err := l.next.Mkdir(ctx, name)
	l.done(ctx, kv.OpMkdir, start, 0, err)
	return err
}

// Rmdir measures and forwards Rmdir.
func (l *Layer) Rmdir(ctx context.Context, name string) error {
	start := now()
	err := l.next.Rmdir(ctx, name)
	l.done(ctx, kv.OpRmdir, start, 0, err)
	return err
}

// Info measures and forwards Info. A missing item is not an error.
func (l *Layer) Info(ctx context.Context, name string, opts ...kv.Option) (kv.ItemInfo, error) {
	start := now()
	info, err := l.next.Info(ctx, name, opts...)
	l.done(ctx, kv.OpInfo, start, 0, err)
	return info, err
}

// Load measures and forwards Load; its bytes are the bytes returned.
func (l *Layer) Load(ctx context.Context, name string, opts ...kv.Option) ([]byte, error) {
	start := now()
	value, err := l.next.Load(ctx, name, opts...)
	l.done(ctx, kv.OpLoad, start, int64(len(value)), err)
	return value, err
}

// Store measures and forwards Store; its bytes are the bytes given.
func (l *Layer) Store(ctx context.Context, name string, value []byte, opts ...kv.Option) error {
	start := now()
	err := l.next.Store(ctx, name, value, opts...)
	l.done(ctx, kv.OpStore, start, int64(len(value)), err)
	return err
}

// Delete measures and forwards Delete.
func (l *Layer) Delete(ctx context.Context, name string, opts ...kv.Option) error {
	start := now()
	err := l.next.Delete(ctx, name, opts...)
	l.done(ctx, kv.OpDelete, start, 0, err)
	return err
}

// Move measures and forwards Move.
func (l *Layer) Move(ctx context.Context, from, to string, opts ...kv.Option) error {
	start := now()
	err := l.next.Move(ctx, from, to, opts...)
	l.done(ctx, kv.OpMove, start, 0, err)
	return err
}

// Hash measures and forwards Hash.
func (l *Layer) Hash(ctx context.Context, name, algorithm string, opts ...kv.Option) (string, error) {
	start := now()
	sum, err := l.next.Hash(ctx, name, algorithm, opts...)
	l.done(ctx, kv.OpHash, start, 0, err)
	return sum, err
}

// Defrag measures and forwards Defrag; its bytes are the sizes of the
// source blocks.
func (l *Layer) Defrag(ctx context.Context, sources []kv.Block, opts ...kv.Option) (string, error) {
	start := now()
	name, err := l.next.Defrag(ctx, sources, opts...)
	var n int64
	for _, b := range sources {
		n += b.Size
	}
	l.done(ctx, kv.OpDefrag, start, n, err)
	return name, err
}

// Quota measures and forwards Quota.
func (l *Layer) Quota(ctx context.Context) (kv.Quota, error) {
	start := now()
	q, err := l.next.Quota(ctx)
	l.done(ctx, kv.OpQuota, start, 0, err)
	return q, err
}

// List measures and forwards List: one measurement per iteration, when it
// ends, of the time spent inside the backend's iterator, with the error
// type of the first error yielded. A List whose result is never ranged is
// not measured.
func (l *Layer) List(ctx context.Context, name string, opts ...kv.Option) iter.Seq2[kv.ItemInfo, error] {
	return func(yield func(kv.ItemInfo, error) bool) {
		observe.List(l.next.List(ctx, name, opts...), time.Now, yield, func(r observe.ListResult) {
			l.record(ctx, kv.OpList, r.Inside, 0, r.Err)
		})
	}
}
