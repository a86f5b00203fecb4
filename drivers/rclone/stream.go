package rclone

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

// LoadStream reads the value of name, or the part a kv.Range selects, as
// the body of one GET from rcd's --rc-serve, with a Range header, as Load
// sends it (a negative offset costs a stat first). A missing item is
// kv.ErrNotFound from the call; a failure of the body is an error of Read.
// The per-name lock of the driver's readers is held until rcd answered
// (it has opened the file then), not while the caller reads. The call
// timeout (WithCallTimeout), if any, covers the whole read.
func (d *Driver) LoadStream(ctx context.Context, name string, opts ...kv.Option) (io.ReadCloser, error) {
	s, lr, err := d.beginLoad(ctx, name, opts)
	switch {
	case err != nil:
		return nil, err
	case lr.empty:
		return http.NoBody, nil
	}
	ctx, cancel := withTimeout(ctx, d.cfg)
	var resp *http.Response
	unlock := d.names.read(name)
	err = retry(ctx, func() (err error) {
		resp, err = s.open(ctx, d.remote, name, lr.header)
		return err
	})
	unlock()
	if err != nil {
		cancel()
		return nil, s.kvError(kv.OpLoad, name, err)
	}
	r := &bodyReader{s: s, name: name, r: resp.Body, body: resp.Body, cancel: cancel}
	switch {
	case resp.StatusCode == http.StatusPartialContent && lr.limit >= 0:
		r.r = io.LimitReader(resp.Body, lr.limit)
	case lr.ranged && resp.StatusCode == http.StatusOK: // Range ignored: skip and cut
		if resp.ContentLength < 0 {
			r.Close()
			return nil, backendkit.NewError(kv.OpLoad, name, kv.ErrProtocol,
				errors.New("rcd ignored the Range header and sent no Content-Length"))
		}
		start, end := backendkit.ClampRange(resp.ContentLength, lr.offset, lr.size)
		if _, err := io.CopyN(io.Discard, resp.Body, start); err != nil {
			r.Close()
			return nil, s.kvError(kv.OpLoad, name, fmt.Errorf("reading %s: %w", name, err))
		}
		r.r = io.LimitReader(resp.Body, end-start)
	}
	return r, nil
}

// bodyReader is the body of a GET as LoadStream returns it: errors of the
// link are kv errors, and Close ends the call's timeout.
type bodyReader struct {
	s      *server
	name   string
	r      io.Reader
	body   io.Closer
	cancel context.CancelFunc
}

func (b *bodyReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err != nil && err != io.EOF {
		err = b.s.kvError(kv.OpLoad, b.name, fmt.Errorf("reading %s: %w", b.name, err))
	}
	return n, err
}

func (b *bodyReader) Close() error {
	err := b.body.Close()
	b.cancel()
	return err
}

// StoreStream stores the bytes of src under name as Store does (see
// kv.Backend): one operations/uploadfile whose multipart body streams src
// as it is read, without buffering it (chunked when size is -1), to a
// temporary file that then replaces name (on object stores, to name
// itself, which the remote makes visible whole). A src that fails, lies
// about its size or is cancelled cuts the request off before its end, so
// rcd stores nothing; the temporary is removed. Unlike Store, a failed
// upload is not retried: src has been read.
func (d *Driver) StoreStream(ctx context.Context, name string, src io.Reader, size int64, opts ...kv.Option) error {
	s, err := d.begin(ctx, kv.OpStore, name, opts)
	if err != nil {
		return err
	}
	src = backendkit.Source(ctx, name, src, size)
	return d.store(ctx, s, name, func(dir, file string) error {
		return s.uploadFrom(ctx, d.cfg, d.remote, dir, file, src, size)
	})
}
