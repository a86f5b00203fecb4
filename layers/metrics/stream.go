package metrics

import (
	"context"
	"io"

	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

// LoadStream measures and forwards LoadStream as a load. Its bytes are
// counted as the caller reads them; its duration is recorded when the
// stream ends: at its end, at a failed Read (whose error is the call's)
// or at Close, whichever comes first. A call that fails to open is
// recorded at once.
func (l *Layer) LoadStream(ctx context.Context, name string, opts ...kv.Option) (io.ReadCloser, error) {
	start := now()
	rc, err := l.next.LoadStream(ctx, name, opts...)
	if err != nil {
		l.done(ctx, kv.OpLoad, start, 0, err)
		return nil, err
	}
	moved := &l.moved[kv.OpLoad].n
	return backendkit.ObserveReader(rc,
		func(n int) { moved.Add(int64(n)) },
		func(err error) { l.done(ctx, kv.OpLoad, start, 0, err) }), nil
}

// StoreStream measures and forwards StoreStream as a store. Its bytes are
// counted as the backend reads them from src, once each (bytes read again
// after a retry layer below rewound src count once); its duration is
// recorded when it returns.
func (l *Layer) StoreStream(ctx context.Context, name string, src io.Reader, size int64, opts ...kv.Option) error {
	start := now()
	moved := &l.moved[kv.OpStore].n
	err := l.next.StoreStream(ctx, name, backendkit.CountSource(src, func(n int64) { moved.Add(n) }), size, opts...)
	l.done(ctx, kv.OpStore, start, 0, err)
	return err
}
