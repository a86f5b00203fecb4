package logging

import (
	"context"
	"io"

	"github.com/kvcompose/compose/kv"
)

// LoadStream forwards to the next backend.
func (l *Layer) LoadStream(ctx context.Context, name string, opts ...kv.Option) (io.ReadCloser, error) {
	return l.next.LoadStream(ctx, name, opts...)
}

// StoreStream forwards to the next backend.
func (l *Layer) StoreStream(ctx context.Context, name string, src io.Reader, size int64, opts ...kv.Option) error {
	return l.next.StoreStream(ctx, name, src, size, opts...)
}
