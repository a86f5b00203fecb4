package stats

import (
	"context"
	"io"

	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

// LoadStream counts and forwards LoadStream as a load. Its bytes are
// counted as the caller reads them; the call, its time and its error are
// counted when the stream ends: at its end, at a failed Read (whose error
// is the call's) or at Close, whichever comes first. A call that fails to
// open is counted at once.
func (l *Layer) LoadStream(ctx context.Context, name string, opts ...kv.Option) (io.ReadCloser, error) {
	start := l.begin(kv.OpLoad)
	rc, err := l.next.LoadStream(ctx, name, opts...)
	if err != nil {
		l.done(kv.OpLoad, start, 0, err)
		return nil, err
	}
	c := &l.ops[kv.OpLoad]
	return backendkit.ObserveReader(rc,
		func(n int) { c.bytes.Add(int64(n)) },
		func(err error) { l.done(kv.OpLoad, start, 0, err) }), nil
}

// StoreStream counts and forwards StoreStream as a store. Its bytes are
// counted as the backend reads them from src, once each: bytes read again
// after a retry layer below rewound src are not counted twice. The call,
// its time and its error are counted when it returns.
func (l *Layer) StoreStream(ctx context.Context, name string, src io.Reader, size int64, opts ...kv.Option) error {
	start := l.begin(kv.OpStore)
	c := &l.ops[kv.OpStore]
	err := l.next.StoreStream(ctx, name, backendkit.CountSource(src, func(n int64) { c.bytes.Add(n) }), size, opts...)
	l.done(kv.OpStore, start, 0, err)
	return err
}
