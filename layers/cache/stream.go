package cache

import (
	"context"
	"errors"
	"io"
	"sync"

	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

// The reasons a copy teed into the cache is abandoned, as the cache
// store's StoreStream sees them.
var (
	errUnfinished = errors.New("cache: the stream did not reach its end")
	errTooBig     = errors.New("cache: the value is bigger than the namespace's budget")
	errRaced      = errors.New("cache: a write of the item raced with the copy")
	errRewound    = errors.New("cache: the source was rewound")
)

// LoadStream opens name as a stream. In a WriteThrough namespace a cached
// copy is served as a stream (after Verify, which hashes the cached copy
// with the cache store's Hash before it is opened). Otherwise the primary
// answers, and the stream of a whole item is teed into the cache as it is
// read: the copy is committed only when the stream reached its end, and
// only if the namespace's budget keeps a value of that size (the copy is
// abandoned as soon as it grows past MaxSize). A stream closed early or
// failing leaves nothing in the cache. A partial stream (kv.Range) that
// misses is read from the primary and fills nothing: reading the whole
// item to cache it would read more than was asked.
func (l *Layer) LoadStream(ctx context.Context, name string, opts ...kv.Option) (io.ReadCloser, error) {
	s := l.target(name)
	if s == nil || !onlyRange(opts) || ctx.Err() != nil {
		return l.next.LoadStream(ctx, name, opts...)
	}
	if s.policy.Mode == WriteThrough {
		if rc, ok := l.hitStream(ctx, s, name, opts); ok {
			return rc, nil
		}
	}
	_, _, ranged := backendkit.RangeOf(opts)
	g, fill := l.beginRead(name)
	rc, err := l.next.LoadStream(ctx, name, opts...)
	switch {
	case err != nil:
		if errors.Is(err, kv.ErrNotFound) && s.has(name) {
			l.dropWrite(ctx, s, name) // deleted behind our back
		}
		return nil, err
	case ranged:
		s.touch(name, l.clock())
		return rc, nil
	case !fill:
		return rc, nil
	}
	t := &teeStream{ctx: ctx, g: g, rc: rc, copier: copier{l: l, s: s, name: name}}
	t.begin(ctx)
	return t, nil
}

// hitStream opens the cached copy of name, reporting false on a miss, a
// failure or a copy that fails Verify (which it drops).
func (l *Layer) hitStream(ctx context.Context, s *space, name string, opts []kv.Option) (io.ReadCloser, bool) {
	if s.policy.Verify != "" {
		digest, err := l.cache.Hash(ctx, name, s.policy.Verify)
		if err != nil {
			l.miss(ctx, kv.OpHash, name, err)
			return nil, false
		}
		if digest != keyOf(name) {
			l.corrupted(ctx, s, name)
			return nil, false
		}
	}
	rc, err := l.cache.LoadStream(ctx, name, opts...)
	if err != nil {
		l.miss(ctx, kv.OpLoad, name, err)
		return nil, false
	}
	l.hits.Add(1)
	s.touch(name, l.clock())
	return backendkit.ObserveReader(rc, func(n int) { l.servedBytes.Add(int64(n)) }, nil), true
}

// copier copies a value into the cache store as it flows, through w, a
// StoreStream of the cache store that stores the copy only when w is
// closed. The copy is abandoned as soon as it grows past the namespace's
// budget (over), or when the cache store fails.
type copier struct {
	l    *Layer
	s    *space
	name string
	w    *kv.Writer // nil once the copy is committed or abandoned
	n    int64      // bytes copied
	over bool       // abandoned for the budget
}

// begin starts a copy.
func (c *copier) begin(ctx context.Context) {
	c.w, c.n = kv.NewWriter(context.WithoutCancel(ctx), c.l.cache, c.name, -1), 0
}

// write copies p.
func (c *copier) write(p []byte) {
	if len(p) == 0 || c.w == nil {
		return
	}
	c.n += int64(len(p))
	if max := c.s.policy.MaxSize; max > 0 && c.n > max {
		c.over = true
		c.abandon(errTooBig)
	} else if _, err := c.w.Write(p); err != nil {
		c.l.fail(kv.OpStore, c.name, c.abandon(err))
	}
}

// abandon abandons the copy, if any, with why, and returns the cache
// store's error.
func (c *copier) abandon(why error) error {
	if c.w == nil {
		return nil
	}
	err := c.w.CloseWithError(why)
	c.w = nil
	return err
}

// commit records the copy as the cached copy of the item and stores it;
// the item's stripe is locked. A copy abandoned for the budget drops the
// older copy instead. It returns the items to evict.
func (c *copier) commit(ctx context.Context) []string {
	l, s := c.l, c.s
	switch {
	case c.over:
		if s.has(c.name) {
			l.drop(ctx, s, c.name) // an older copy must not stay
		}
		return nil
	case c.w == nil:
		return nil
	}
	w := c.w
	c.w = nil
	victims, ok := s.reserve(c.name, c.n, l.clock())
	if !ok {
		w.CloseWithError(errTooBig)
		l.remove(ctx, c.name) // an older copy must not stay
		return victims
	}
	if err := w.Close(); err != nil {
		s.forget(c.name)
		l.fail(kv.OpStore, c.name, err)
		l.remove(ctx, c.name)
		return victims
	}
	l.writtenBytes.Add(c.n)
	return victims
}

// teeStream is a stream of the primary that is copied into the cache as
// the caller reads it; the copy is committed when the stream reaches its
// end, unless a write of the item through the layer began since the
// primary was read, and abandoned when the stream fails or is closed
// first. mu guards the copy, so that a Close from another goroutine may
// interrupt a Read.
type teeStream struct {
	ctx context.Context
	g   uint64 // the stripe's generation when the primary was read
	rc  io.ReadCloser

	mu    sync.Mutex
	ended bool
	copier
}

func (t *teeStream) Read(p []byte) (int, error) {
	n, err := t.rc.Read(p)
	t.mu.Lock()
	defer t.mu.Unlock()
	t.write(p[:n])
	if err != nil && !t.ended {
		t.ended = true
		if err == io.EOF {
			var victims []string
			t.l.endRead(t.name, t.g, func() { victims = t.commit(t.ctx) })
			t.abandon(errRaced)
			t.l.evict(t.ctx, t.s, victims)
		} else {
			t.abandon(errUnfinished)
		}
	}
	return n, err
}

// Close closes the stream of the primary; a copy not committed yet is
// abandoned.
func (t *teeStream) Close() error {
	err := t.rc.Close()
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.ended {
		t.ended = true
		t.abandon(errUnfinished)
	}
	return err
}

// StoreStream stores src under name in the primary, streamed, and copies
// it into the cache as the primary reads it, when Store would cache the
// value (no options, and a size, declared or read, within the budget:
// the copy is abandoned as soon as it grows past MaxSize). The copy is
// committed only when the primary stored the whole value and no other
// write of the item raced with it; otherwise the cached copy is dropped,
// as Store drops it. A src rewound by a layer below (retry) to where it
// started starts the copy again.
func (l *Layer) StoreStream(ctx context.Context, name string, src io.Reader, size int64, opts ...kv.Option) error {
	s := l.target(name)
	if s == nil {
		return l.next.StoreStream(ctx, name, src, size, opts...)
	}
	var tee *teeSource
	if len(opts) == 0 && (s.policy.MaxSize == 0 || size <= s.policy.MaxSize) {
		tee = l.newTeeSource(ctx, s, name, src)
		src = tee
	}
	t := l.beginWrite(name)
	err := l.next.StoreStream(ctx, name, src, size, opts...)
	var victims []string
	l.endWrite(t, func(alone bool) {
		switch {
		case err == nil && alone && tee != nil && tee.eof && (tee.w != nil || tee.over):
			victims = tee.commit(ctx)
		case err == nil || !unchanged(err):
			l.drop(ctx, s, name)
		}
	})
	if tee != nil {
		tee.abandon(errRaced)
	}
	l.evict(ctx, s, victims)
	return err
}

// teeSource is the src of a StoreStream that is copied into the cache as
// the backend below reads it. It seeks when src does: a seek back to
// where src was at the call starts the copy again, any other move
// abandons it. The backend below reads it from one goroutine, and not
// after its StoreStream returned.
type teeSource struct {
	ctx   context.Context
	src   io.Reader
	start int64 // src's position at the call, if it seeks
	seeks bool
	eof   bool // src ended
	copier
}

func (l *Layer) newTeeSource(ctx context.Context, s *space, name string, src io.Reader) *teeSource {
	t := &teeSource{ctx: ctx, src: src, copier: copier{l: l, s: s, name: name}}
	if sk, ok := src.(io.Seeker); ok {
		if pos, err := sk.Seek(0, io.SeekCurrent); err == nil {
			t.start, t.seeks = pos, true
		}
	}
	t.begin(ctx)
	return t
}

func (t *teeSource) Read(p []byte) (int, error) {
	n, err := t.src.Read(p)
	t.write(p[:n])
	if err == io.EOF {
		t.eof = true
	}
	return n, err
}

// errNotSeekable is the error of Seek on a teeSource whose src cannot
// seek.
var errNotSeekable = errors.New("cache: the source cannot seek")

func (t *teeSource) Seek(offset int64, whence int) (int64, error) {
	if !t.seeks {
		return 0, errNotSeekable
	}
	pos, err := t.src.(io.Seeker).Seek(offset, whence)
	if err != nil || whence == io.SeekCurrent && offset == 0 {
		return pos, err
	}
	t.abandon(errRewound)
	t.eof = false
	if pos == t.start && !t.over {
		t.begin(t.ctx)
	}
	return pos, nil
}
