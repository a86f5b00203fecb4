package s3

import (
	"context"
	"io"
	"net/http"

	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

// LoadStream reads the value of name, or the part a kv.Range selects, as
// the body of one GET, as Load sends it (see kv.Backend): a missing object
// is kv.ErrNotFound from the call, a failure of the body an error of Read.
// The reader holds a connection of the pool until it is closed.
func (d *Driver) LoadStream(ctx context.Context, name string, opts ...kv.Option) (io.ReadCloser, error) {
	if err := d.lc.Begin(ctx, kv.OpLoad, name, opts, kv.KindRange); err != nil {
		return nil, err
	}
	offset, size, ranged := backendkit.RangeOf(opts)
	body, length, limit, err := d.get(ctx, d.key(name), offset, size, ranged)
	switch {
	case err != nil:
		return nil, d.fail(ctx, kv.OpLoad, name, err)
	case body == nil:
		return http.NoBody, nil
	}
	var r io.Reader = body
	if limit >= 0 && (length < 0 || length > limit) {
		r = io.LimitReader(body, limit)
	}
	return &objectReader{ctx: ctx, d: d, name: name, r: r, body: body}, nil
}

// objectReader is the body of a GET as LoadStream returns it, with the
// errors of the link turned into kv errors.
type objectReader struct {
	ctx  context.Context
	d    *Driver
	name string
	r    io.Reader
	body io.Closer
}

func (o *objectReader) Read(p []byte) (int, error) {
	n, err := o.r.Read(p)
	if err != nil && err != io.EOF {
		err = o.d.fail(o.ctx, kv.OpLoad, o.name, err)
	}
	return n, err
}

func (o *objectReader) Close() error { return o.body.Close() }

// StoreStream stores the bytes of src under name (see kv.Backend). It reads
// src into a buffer of one part (WithPartSize; for a stream of unknown
// size, one that grows with the stream): a value that fits goes up
// as Store sends it, with one PUT and its checksums; a larger one as a
// multipart upload, up to partThreads parts at once, each read into a
// buffer of the part size, so that a stream holds at most partThreads ×
// part size bytes (64 MiB by default) whatever its length. The object
// appears when the upload completes, after src ended as declared; on any
// failure the upload is aborted and nothing is stored. A value of known
// size above 10000 parts gets larger parts; one of unknown size fails
// there.
func (d *Driver) StoreStream(ctx context.Context, name string, src io.Reader, size int64, opts ...kv.Option) error {
	if err := d.lc.Begin(ctx, kv.OpStore, name, opts); err != nil {
		return err
	}
	if err := markerName(kv.OpStore, name); err != nil {
		return err
	}
	return d.fail(ctx, kv.OpStore, name, d.putStream(ctx, d.key(name), backendkit.Source(ctx, name, src, size), size))
}

// putStream writes src, of size bytes (-1: unknown), to the object key.
func (d *Driver) putStream(ctx context.Context, key string, src io.Reader, size int64) error {
	ps := d.partSize(size)
	pr := &partReader{src: src}
	var (
		buf  []byte
		last bool
		err  error
	)
	if size >= 0 {
		buf = make([]byte, min(int64(ps), size))
		var n int
		n, last, err = pr.fill(buf)
		buf = buf[:n]
	} else {
		buf, last, err = pr.first(ps)
	}
	switch {
	case err != nil:
		return err
	case last:
		return d.put(ctx, key, buf)
	}
	return d.putMultipart(ctx, key, &streamParts{r: pr, first: buf, size: ps, free: make(chan []byte, d.cfg.partThreads)})
}
