package logging

import (
	"context"
	"io"

	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

// LoadStream logs LoadStream when its stream ends (at its end, a Read
// error or Close), with the bytes read; a call that fails is logged at
// once.
func (l *Layer) LoadStream(ctx context.Context, name string, opts ...kv.Option) (io.ReadCloser, error) {
	start, debug := l.debug(ctx)
	rc, err := l.next.LoadStream(ctx, name, opts...)
	if err != nil {
		l.record(ctx, call{op: kv.OpLoad, name: name, opts: opts, bytes: -1, stream: true, duration: since(start)}, err)
		return nil, err
	}
	var n int64
	return backendkit.ObserveReader(rc, func(k int) { n += int64(k) }, func(err error) {
		if debug || err != nil {
			l.record(ctx, call{op: kv.OpLoad, name: name, opts: opts, bytes: n, stream: true, duration: since(start)}, err)
		}
	}), nil
}

// StoreStream logs StoreStream, with the bytes read from src (more than
// the value's when a layer below rewound src to retry). With Debug off,
// src is passed down as it is, and a failure is logged without bytes.
func (l *Layer) StoreStream(ctx context.Context, name string, src io.Reader, size int64, opts ...kv.Option) error {
	start, debug := l.debug(ctx)
	if !debug {
		err := l.next.StoreStream(ctx, name, src, size, opts...)
		if err != nil {
			l.record(ctx, call{op: kv.OpStore, name: name, opts: opts, bytes: -1, stream: true, duration: -1}, err)
		}
		return err
	}
	var n int64
	err := l.next.StoreStream(ctx, name, backendkit.ObserveSource(src, func(k int) { n += int64(k) }, nil), size, opts...)
	l.record(ctx, call{op: kv.OpStore, name: name, opts: opts, bytes: n, stream: true, duration: since(start)}, err)
	return err
}
