package softdelete

import (
	"context"
	"io"

	"github.com/kvcompose/compose/kv"
)

// LoadStream opens name, or with kv.Deleted() its soft-deleted version,
// as Load reads it.
func (l *Layer) LoadStream(ctx context.Context, name string, opts ...kv.Option) (io.ReadCloser, error) {
	if err := refuse(kv.OpLoad, name, opts); err != nil {
		return nil, err
	}
	if del, rest := deleted(opts); del {
		return l.next.LoadStream(ctx, name+kv.DeletedSuffix, rest...)
	}
	return l.next.LoadStream(ctx, name, opts...)
}

// StoreStream stores name from src, as Store does; it takes no soft
// delete option.
func (l *Layer) StoreStream(ctx context.Context, name string, src io.Reader, size int64, opts ...kv.Option) error {
	if err := refuseAll(kv.OpStore, name, opts); err != nil {
		return err
	}
	return l.next.StoreStream(ctx, name, src, size, opts...)
}
