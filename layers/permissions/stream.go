package permissions

import (
	"context"
	"io"

	"github.com/kvcompose/compose/kv"
)

// LoadStream needs r, as Load: a denied call opens nothing.
func (l *Layer) LoadStream(ctx context.Context, name string, opts ...kv.Option) (io.ReadCloser, error) {
	if invalid(kv.OpLoad, opts, name) {
		return l.next.LoadStream(ctx, name, opts...)
	}
	if err := l.check(kv.OpLoad, name, letterR); err != nil {
		return nil, err
	}
	return l.next.LoadStream(ctx, name, opts...)
}

// StoreStream needs W, or w when name does not exist yet, as Store; the
// check comes before the first byte of src is read, so a denied call
// reads nothing from it.
func (l *Layer) StoreStream(ctx context.Context, name string, src io.Reader, size int64, opts ...kv.Option) error {
	if invalid(kv.OpStore, opts, name) {
		return l.next.StoreStream(ctx, name, src, size, opts...)
	}
	if err := l.checkWrite(ctx, kv.OpStore, name); err != nil {
		return err
	}
	return l.next.StoreStream(ctx, name, src, size, opts...)
}
