package tracing

import (
	"context"
	"iter"

	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

// plain traces a call that has only a name and options and returns only
// an error.
func (l *Layer) plain(ctx context.Context, o kv.Op, name string, opts []kv.Option, call func(context.Context) error) error {
	ctx, span := l.start(ctx, o)
	if span == nil {
		return call(ctx)
	}
	err := call(ctx)
	if span.IsRecording() {
		span.SetAttributes(l.attrs(name, opts, 0)...)
	}
	finish(span, err)
	return err
}

// Create traces Create.
func (l *Layer) Create(ctx context.Context) error {
	return l.plain(ctx, kv.OpCreate, "", nil, l.next.Create)
}

// Destroy traces Destroy.
func (l *Layer) Destroy(ctx context.Context) error {
	return l.plain(ctx, kv.OpDestroy, "", nil, l.next.Destroy)
}

// Open traces Open.
func (l *Layer) Open(ctx context.Context) error {
	return l.plain(ctx, kv.OpOpen, "", nil, l.next.Open)
}

// Close traces Close.
func (l *Layer) Close(ctx context.Context) error {
	return l.plain(ctx, kv.OpClose, "", nil, l.next.Close)
}

// Mkdir traces Mkdir.
func (l *Layer) Mkdir(ctx context.Context, name string) error {
	ctx, span := l.start(ctx, kv.OpMkdir)
	if span == nil {
		return l.next.Mkdir(ctx, name)
	}
	err := l.next.Mkdir(ctx, name)
	if span.IsRecording() {
		span.SetAttributes(l.attrs(name, nil, 0)...)
	}
	finish(span, err)
	return err
}

// Rmdir traces Rmdir.
func (l *Layer) Rmdir(ctx context.Context, name string) error {
	ctx, span := l.start(ctx, kv.OpRmdir)
	if span == nil {
		return l.next.Rmdir(ctx, name)
	}
	err := l.next.Rmdir(ctx, name)
	if span.IsRecording() {
		span.SetAttributes(l.attrs(name, nil, 0)...)
	}
	finish(span, err)
	return err
}

// Delete traces Delete.
func (l *Layer) Delete(ctx context.Context, name string, opts ...kv.Option) error {
	ctx, span := l.start(ctx, kv.OpDelete)
	if span == nil {
		return l.next.Delete(ctx, name, opts...)
	}
	err := l.next.Delete(ctx, name, opts...)
	if span.IsRecording() {
		span.SetAttributes(l.attrs(name, opts, 0)...)
	}
	finish(span, err)
	return err
}

// Info traces Info, with whether the item exists.
func (l *Layer) Info(ctx context.Context, name string, opts ...kv.Option) (kv.ItemInfo, error) {
	ctx, span := l.start(ctx, kv.OpInfo)
	if span == nil {
		return l.next.Info(ctx, name, opts...)
	}
	info, err := l.next.Info(ctx, name, opts...)
	if span.IsRecording() {
		a := l.attrs(name, opts, 1)
		if err == nil {
			a = append(a, KeyExists.Bool(info.Exists))
		}
		span.SetAttributes(a...)
	}
	finish(span, err)
	return info, err
}

// Load traces Load, with the bytes returned.
func (l *Layer) Load(ctx context.Context, name string, opts ...kv.Option) ([]byte, error) {
	ctx, span := l.start(ctx, kv.OpLoad)
	if span == nil {
		return l.next.Load(ctx, name, opts...)
	}
	value, err := l.next.Load(ctx, name, opts...)
	if span.IsRecording() {
		span.SetAttributes(append(l.attrs(name, opts, 1), KeyBytes.Int(len(value)))...)
	}
	finish(span, err)
	return value, err
}

// Store traces Store, with the bytes given.
func (l *Layer) Store(ctx context.Context, name string, value []byte, opts ...kv.Option) error {
	ctx, span := l.start(ctx, kv.OpStore)
	if span == nil {
		return l.next.Store(ctx, name, value, opts...)
	}
	err := l.next.Store(ctx, name, value, opts...)
	if span.IsRecording() {
		span.SetAttributes(append(l.attrs(name, opts, 1), KeyBytes.Int(len(value)))...)
	}
	finish(span, err)
	return err
}

// Move traces Move, with its source and target.
func (l *Layer) Move(ctx context.Context, from, to string, opts ...kv.Option) error {
	ctx, span := l.start(ctx, kv.OpMove)
	if span == nil {
		return l.next.Move(ctx, from, to, opts...)
	}
	err := l.next.Move(ctx, from, to, opts...)
	if span.IsRecording() {
		span.SetAttributes(append(l.attrs("", opts, 2), KeyFrom.String(from), KeyTo.String(to))...)
	}
	finish(span, err)
	return err
}

// Hash traces Hash, with the algorithm.
func (l *Layer) Hash(ctx context.Context, name, algorithm string, opts ...kv.Option) (string, error) {
	ctx, span := l.start(ctx, kv.OpHash)
	if span == nil {
		return l.next.Hash(ctx, name, algorithm, opts...)
	}
	sum, err := l.next.Hash(ctx, name, algorithm, opts...)
	if span.IsRecording() {
		if algorithm == "" {
			algorithm = kv.DefaultHash
		}
		span.SetAttributes(append(l.attrs(name, opts, 1), KeyAlgorithm.String(algorithm))...)
	}
	finish(span, err)
	return sum, err
}

// Defrag traces Defrag, with the new item's name, the number of blocks,
// their bytes and, for a hash-named target, the algorithm.
func (l *Layer) Defrag(ctx context.Context, sources []kv.Block, opts ...kv.Option) (string, error) {
	ctx, span := l.start(ctx, kv.OpDefrag)
	if span == nil {
		return l.next.Defrag(ctx, sources, opts...)
	}
	name, err := l.next.Defrag(ctx, sources, opts...)
	if span.IsRecording() {
		target, algorithm := backendkit.DefragTarget(opts)
		if name == "" {
			name = target
		}
		var n int64
		for _, b := range sources {
			n += b.Size
		}
		a := append(l.attrs(name, opts, 3), KeyBlocks.Int(len(sources)), KeyBytes.Int64(n))
		if target == "" {
			a = append(a, KeyAlgorithm.String(algorithm))
		}
		span.SetAttributes(a...)
	}
	finish(span, err)
	return name, err
}

// Quota traces Quota, with the limit and the usage.
func (l *Layer) Quota(ctx context.Context) (kv.Quota, error) {
	ctx, span := l.start(ctx, kv.OpQuota)
	if span == nil {
		return l.next.Quota(ctx)
	}
	q, err := l.next.Quota(ctx)
	if span.IsRecording() {
		a := l.attrs("", nil, 2)
		if err == nil {
			a = append(a, KeyQuotaLimit.Int64(q.Limit), KeyQuotaUsage.Int64(q.Usage))
		}
		span.SetAttributes(a...)
	}
	finish(span, err)
	return q, err
}

// List traces List. The span starts when the iteration starts, and the
// backend's List is called with the span's context then; it ends when the
// iteration ends or is abandoned, with the number of items yielded and the
// first error yielded.
func (l *Layer) List(ctx context.Context, name string, opts ...kv.Option) iter.Seq2[kv.ItemInfo, error] {
	return func(yield func(kv.ItemInfo, error) bool) {
		ctx, span := l.start(ctx, kv.OpList)
		if span == nil {
			l.next.List(ctx, name, opts...)(yield)
			return
		}
		var (
			items     int
			failed    error
			abandoned bool
		)
		defer func() {
			if span.IsRecording() {
				a := append(l.attrs(name, opts, 2), KeyItems.Int(items))
				if abandoned {
					a = append(a, KeyAbandoned.Bool(true))
				}
				span.SetAttributes(a...)
			}
			finish(span, failed)
		}()
		for it, err := range l.next.List(ctx, name, opts...) {
			if err != nil {
				if failed == nil {
					failed = err
				}
			} else {
				items++
			}
			if !yield(it, err) {
				abandoned = true
				return
			}
		}
	}
}
