package tracing

import (
	"context"
	"io"

	"go.opentelemetry.io/otel/trace"

	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

// LoadStream traces LoadStream with a span named as Load's ("kv.load"),
// marked with KeyStream, that stays open while the stream is read: it
// ends when the stream ends, at its end, at a Read error (recorded on the
// span) or at Close, whichever comes first, with the bytes read. A call
// that fails ends its span at once.
func (l *Layer) LoadStream(ctx context.Context, name string, opts ...kv.Option) (io.ReadCloser, error) {
	ctx, span := l.start(ctx, kv.OpLoad)
	if span == nil {
		return l.next.LoadStream(ctx, name, opts...)
	}
	rc, err := l.next.LoadStream(ctx, name, opts...)
	if err != nil {
		l.endStream(span, name, opts, 0, err)
		return nil, err
	}
	var n int64
	return backendkit.ObserveReader(rc, func(k int) { n += int64(k) }, func(err error) {
		l.endStream(span, name, opts, n, err)
	}), nil
}

// StoreStream traces StoreStream with a span named as Store's
// ("kv.store"), marked with KeyStream, that covers the call, with the
// bytes read from src (more than the value's when a layer below rewound
// src to retry).
func (l *Layer) StoreStream(ctx context.Context, name string, src io.Reader, size int64, opts ...kv.Option) error {
	ctx, span := l.start(ctx, kv.OpStore)
	if span == nil {
		return l.next.StoreStream(ctx, name, src, size, opts...)
	}
	var n int64
	err := l.next.StoreStream(ctx, name, backendkit.ObserveSource(src, func(k int) { n += int64(k) }, nil), size, opts...)
	l.endStream(span, name, opts, n, err)
	return err
}

// endStream sets the attributes of the span of a stream call on name that
// moved n bytes, and ends it with err.
func (l *Layer) endStream(span trace.Span, name string, opts []kv.Option, n int64, err error) {
	if span.IsRecording() {
		span.SetAttributes(append(l.attrs(name, opts, 2), KeyStream.Bool(true), KeyBytes.Int64(n))...)
	}
	finish(span, err)
}
