package nesting

import (
	"context"
	"io"

	"github.com/kvcompose/compose/kv"
)

// LoadStream opens the item name at its level, found as Load finds it;
// the item's stripe is held while the level is probed and the stream
// opened, not while it is read. The errors of the stream's Read speak of
// name, as those of the call do.
func (l *Layer) LoadStream(ctx context.Context, name string, opts ...kv.Option) (io.ReadCloser, error) {
	var nested string
	rc, err := at(l, ctx, kv.OpLoad, name, opts, false, func(n string) (io.ReadCloser, error) {
		nested = n
		return l.next.LoadStream(ctx, n, opts...)
	})
	if err != nil || nested == name {
		return rc, err
	}
	return &callerReader{ReadCloser: rc, nested: nested, name: name}, nil
}

// callerReader is a stream of the driver-level item nested whose errors
// speak of the caller's name.
type callerReader struct {
	io.ReadCloser
	nested, name string
}

func (r *callerReader) Read(p []byte) (int, error) {
	n, err := r.ReadCloser.Read(p)
	if err != nil && err != io.EOF {
		err = callerErr(err, kv.OpLoad, r.nested, r.name)
	}
	return n, err
}

func (r *callerReader) Close() error {
	return callerErr(r.ReadCloser.Close(), kv.OpLoad, r.nested, r.name)
}

// StoreStream stores the item name from src at its current level, or at
// the last configured level if it is new, as Store does. In a namespace
// with several levels it holds the item's stripe (shared with other keys,
// see the package's locks) until the stream is stored, as Store does for
// its value: a slow src delays the calls that wait for that stripe.
func (l *Layer) StoreStream(ctx context.Context, name string, src io.Reader, size int64, opts ...kv.Option) error {
	_, err := at(l, ctx, kv.OpStore, name, opts, true, func(n string) (struct{}, error) {
		return struct{}{}, l.next.StoreStream(ctx, n, src, size, opts...)
	})
	return err
}
