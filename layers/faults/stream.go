package faults

import (
	"context"
	"io"

	"github.com/kvcompose/compose/kv"
)

// LoadStream forwards LoadStream, disturbed by the rules of kv.OpLoad.
// Cut short, the stream delivers the rule's CutAfter bytes, then its Read
// fails with the injected error; with a lost reply the stream is opened,
// closed, and the call fails.
func (l *Layer) LoadStream(ctx context.Context, name string, opts ...kv.Option) (io.ReadCloser, error) {
	f, err := l.admit(ctx, kv.OpLoad, name, true)
	if err != nil {
		return nil, err
	}
	rc, err := l.next.LoadStream(ctx, name, opts...)
	switch {
	case f.err == nil:
		return rc, err
	case err != nil:
		return nil, f.err
	case f.mode == CutShort:
		return &cutStream{cut: cut{r: rc, left: f.cut, err: f.err}, c: rc}, nil
	}
	rc.Close()
	return nil, f.err
}

// StoreStream forwards StoreStream, disturbed by the rules of kv.OpStore.
// Cut short, the backend below reads the rule's CutAfter bytes of src and
// then a failure of src with the injected error: it stores nothing, and
// the call fails.
func (l *Layer) StoreStream(ctx context.Context, name string, src io.Reader, size int64, opts ...kv.Option) error {
	f, err := l.admit(ctx, kv.OpStore, name, true)
	if err != nil {
		return err
	}
	if f.err == nil || f.mode != CutShort {
		return f.reply(l.next.StoreStream(ctx, name, src, size, opts...))
	}
	err = l.next.StoreStream(ctx, name, &cut{r: src, left: f.cut, err: f.err}, size, opts...)
	if err == nil {
		err = f.err // a backend that did not read src to its end
	}
	return err
}

// cut is a reader that passes left bytes of r and then fails with err,
// also when r ends before.
type cut struct {
	r    io.Reader
	left int64
	err  error
}

func (c *cut) Read(p []byte) (int, error) {
	if c.left <= 0 {
		return 0, c.err
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	if err == io.EOF {
		err = c.err
	}
	return n, err
}

// cutStream is a stream cut short: cut, closing the stream below.
type cutStream struct {
	cut
	c io.Closer
}

func (s *cutStream) Close() error { return s.c.Close() }
