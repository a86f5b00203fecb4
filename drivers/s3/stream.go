package s3

import (
	"context"
	"io"

	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

// LoadStream reads the value of name as a stream (see kv.Backend).
func (d *Driver) LoadStream(ctx context.Context, name string, opts ...kv.Option) (io.ReadCloser, error) {
	return backendkit.BufferedLoadStream(ctx, d, name, opts...)
}

// StoreStream stores the bytes of src under name (see kv.Backend).
func (d *Driver) StoreStream(ctx context.Context, name string, src io.Reader, size int64, opts ...kv.Option) error {
	return backendkit.BufferedStoreStream(ctx, &d.lc, d, name, src, size, opts...)
}
