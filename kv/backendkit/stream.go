package backendkit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/kvcompose/compose/kv"
)

// BufferedLoadStream is LoadStream for a driver that holds values in
// memory anyway (or cannot stream): it loads the value with b.Load and
// reads it from memory.
func BufferedLoadStream(ctx context.Context, b kv.Backend, name string, opts ...kv.Option) (io.ReadCloser, error) {
	v, err := b.Load(ctx, name, opts...)
	if err != nil {
		return nil, err
	}
	return io.NopCloser(bytes.NewReader(v)), nil
}

// BufferedStoreStream is StoreStream for a driver that holds values in
// memory anyway (or cannot stream): after the frame of the call
// (lc.Begin), it reads src whole, as the rules of StoreStream say (Source),
// and stores it with b.Store.
func BufferedStoreStream(ctx context.Context, lc *Lifecycle, b kv.Backend, name string, src io.Reader, size int64, opts ...kv.Option) error {
	if err := lc.Begin(ctx, kv.OpStore, name, opts); err != nil {
		return err
	}
	var buf bytes.Buffer
	if size > 0 {
		buf.Grow(int(min(size, 64<<20)))
	}
	if _, err := buf.ReadFrom(Source(ctx, name, src, size)); err != nil {
		return err
	}
	return b.Store(ctx, name, buf.Bytes(), opts...)
}

// Source returns src as a driver must read it in StoreStream: every Read
// first checks ctx (a cancelled store fails with the context's error even
// while src keeps giving bytes); src's own errors are wrapped as a *Error
// of OpStore on name (errors.Is still reaches them); and with size >= 0 a
// src that ends early or holds more than size bytes fails with
// kv.ErrSizeMismatch (Source reads at most one byte past size to tell).
// The reader ends with io.EOF only when the value is complete, so a driver
// that commits the value at io.EOF commits only what the caller meant.
func Source(ctx context.Context, name string, src io.Reader, size int64) io.Reader {
	return &source{ctx: ctx, name: name, src: src, size: size}
}

type source struct {
	ctx  context.Context
	name string
	src  io.Reader
	size int64 // -1: unknown
	n    int64 // bytes read
	err  error // sticky
}

func (s *source) Read(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	if err := s.ctx.Err(); err != nil {
		s.err = NewError(kv.OpStore, s.name, nil, err)
		return 0, s.err
	}
	if s.size >= 0 && int64(len(p)) > s.size-s.n+1 {
		p = p[:s.size-s.n+1]
	}
	n, err := s.src.Read(p)
	s.n += int64(n)
	switch {
	case s.size >= 0 && s.n > s.size:
		s.err = NewError(kv.OpStore, s.name, kv.ErrSizeMismatch, fmt.Errorf("the source holds more than the %d bytes declared", s.size))
		return 0, s.err
	case err == io.EOF && s.size >= 0 && s.n < s.size:
		s.err = NewError(kv.OpStore, s.name, kv.ErrSizeMismatch, fmt.Errorf("the source ended after %d of the %d bytes declared", s.n, s.size))
		return n, s.err
	case err == io.EOF && s.ctx.Err() != nil:
		// Cancelled while the last Read waited: the value is not complete
		// for the caller, whatever src says.
		s.err = NewError(kv.OpStore, s.name, nil, s.ctx.Err())
		return n, s.err
	case err == io.EOF:
		s.err = io.EOF
	case err != nil:
		s.err = NewError(kv.OpStore, s.name, nil, fmt.Errorf("reading the value: %w", err))
		return n, s.err
	}
	return n, err
}

// ObserveReader returns rc with two callbacks, for a layer that counts,
// paces, traces or logs a LoadStream: each(n) after every Read that gave
// n > 0 bytes, and end(err) exactly once, when the stream ends: at the
// first Read that fails (err nil for io.EOF) or at Close, whichever comes
// first (err is then Close's error). Either callback may be nil. Close
// closes rc once.
func ObserveReader(rc io.ReadCloser, each func(n int), end func(err error)) io.ReadCloser {
	return &observed{rc: rc, each: each, end: end}
}

type observed struct {
	rc     io.ReadCloser
	each   func(n int)
	end    func(err error)
	ended  bool
	once   sync.Once
	closed error
}

func (o *observed) Read(p []byte) (int, error) {
	n, err := o.rc.Read(p)
	if n > 0 && o.each != nil {
		o.each(n)
	}
	if err != nil && !o.ended {
		o.ended = true
		if o.end != nil {
			if errors.Is(err, io.EOF) {
				o.end(nil)
			} else {
				o.end(err)
			}
		}
	}
	return n, err
}

func (o *observed) Close() error {
	o.once.Do(func() {
		o.closed = o.rc.Close()
		if !o.ended {
			o.ended = true
			if o.end != nil {
				o.end(o.closed)
			}
		}
	})
	return o.closed
}

// ObserveSource returns src for a layer that watches the bytes a
// StoreStream reads: each(n) after every Read that gave n > 0 bytes. The
// result is an io.Seeker that seeks src when src is one (and fails
// otherwise), so that a retry layer below can still rewind; at reports the
// position in src after each Read and Seek, for a layer that limits by it,
// counted from where src was when ObserveSource was called (a source
// handed over part read, or seeked by the caller, starts at 0). Either
// callback may be nil.
func ObserveSource(src io.Reader, each func(n int), at func(pos int64)) io.ReadSeeker {
	return &observedSource{src: src, each: each, at: at}
}

type observedSource struct {
	src   io.Reader
	each  func(n int)
	at    func(pos int64)
	pos   int64 // from where src was at the start
	base  int64 // src's own offset at the start, once based
	based bool
}

func (o *observedSource) Read(p []byte) (int, error) {
	n, err := o.src.Read(p)
	if n > 0 {
		o.pos += int64(n)
		if o.each != nil {
			o.each(n)
		}
		if o.at != nil {
			o.at(o.pos)
		}
	}
	return n, err
}

// errNotSeekable is the error of Seek on a stream whose source cannot seek.
var errNotSeekable = errors.New("the source cannot seek")

func (o *observedSource) Seek(offset int64, whence int) (int64, error) {
	s, ok := o.src.(io.Seeker)
	if !ok {
		return 0, errNotSeekable
	}
	if !o.based {
		cur, err := s.Seek(0, io.SeekCurrent)
		if err != nil {
			return cur, err
		}
		o.base, o.based = cur-o.pos, true
	}
	pos, err := s.Seek(offset, whence)
	if err == nil {
		o.pos = pos - o.base
		if o.at != nil {
			o.at(o.pos)
		}
	}
	return pos, err
}
