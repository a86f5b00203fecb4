package quota

import (
	"context"
	"errors"
	"io"

	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

// LoadStream forwards LoadStream.
func (l *Layer) LoadStream(ctx context.Context, name string, opts ...kv.Option) (io.ReadCloser, error) {
	if err := reserved(kv.OpLoad, name); err != nil {
		return nil, err
	}
	return l.next.LoadStream(ctx, name, opts...)
}

// StoreStream stores what it reads from src as Store does, under the same
// limit and with the same accounting. With a known size it reserves the
// growth (size less the size it replaces) before it reads a byte, and a
// growth past the limit is a kv.ErrQuotaExceeded error before src is
// read. With size -1 it reserves the growth as the bytes arrive (by the
// position in src, so that a retry layer below that rewinds src does not
// count bytes twice) and fails the Read of src with kv.ErrQuotaExceeded
// once the growth passes the limit, so that the backend below stores
// nothing; the call returns that error. The name is locked until the
// stream ends, as for a Store.
func (l *Layer) StoreStream(ctx context.Context, name string, src io.Reader, size int64, opts ...kv.Option) error {
	if err := reserved(kv.OpStore, name); err != nil {
		return err
	}
	if backendkit.Has(opts, kv.KindHidden) {
		return l.next.StoreStream(ctx, name, src, size, opts...) // not a value: no scan counts it
	}
	l.names.lock(name)
	err := l.storeStream(ctx, name, src, size, opts)
	l.names.unlock(name)
	if err == nil {
		l.maybePersist(ctx)
	}
	return err
}

// storeStream is StoreStream with the name locked.
func (l *Layer) storeStream(ctx context.Context, name string, src io.Reader, size int64, opts []kv.Option) error {
	old, _, frame, err := l.sizeOf(ctx, kv.OpStore, name)
	if frame {
		// The StoreStream fails as well, in its own frame; should it not,
		// the size it replaced is not known (see store).
		m := &meter{l: l, name: name}
		if err := l.next.StoreStream(ctx, name, m.source(src, size), size, opts...); err != nil {
			return err
		}
		l.lost(ctx)
		l.commit(0, m.final(size))
		return nil
	}
	if err != nil {
		return err
	}
	if err := l.mark(ctx, kv.OpStore, name); err != nil {
		return err
	}
	m := &meter{l: l, name: name, old: old, limited: size < 0}
	if size >= 0 {
		if growth := max(size-old, 0); growth > 0 {
			if err := l.reserve(kv.OpStore, name, growth); err != nil {
				return err
			}
			m.growth = growth
		}
	}
	err = l.next.StoreStream(ctx, name, m.source(src, size), size, opts...)
	if m.err != nil && errors.Is(err, kv.ErrQuotaExceeded) {
		err = m.err // the layer's own refusal, not as the backend wrapped it
	}
	switch {
	case err == nil:
		l.commit(m.growth, m.final(size)-old)
	case unknown(err):
		if now, ok := l.settle(ctx, kv.OpStore, nil, name); ok {
			l.commit(m.growth, now-old)
		} else {
			l.commit(m.growth, m.growth) // the worst case, until the next Open scans
		}
	default:
		l.commit(m.growth, 0)
	}
	return err
}

// meter follows a StoreStream's source of unknown size: its position
// and, when limited, the growth reserved for it so far.
type meter struct {
	l       *Layer
	name    string
	old     int64 // the size the value replaces
	limited bool  // reserve the growth as the bytes arrive
	pos     int64 // the position in src, from its start
	growth  int64 // reserved
	err     error // the reservation failed: every Read fails with it
}

// source returns src as the backend below reads it: src itself for a
// known size, else src followed by the meter.
func (m *meter) source(src io.Reader, size int64) io.Reader {
	if size >= 0 {
		return src
	}
	return &meteredSource{ReadSeeker: backendkit.ObserveSource(src, nil, m.at), m: m}
}

// final returns the size of the value stored: size when it was known,
// else the position in src at the end.
func (m *meter) final(size int64) int64 {
	if size >= 0 {
		return size
	}
	return m.pos
}

// at notes the position in src and, when limited, reserves the growth it
// brings past what is reserved.
func (m *meter) at(pos int64) {
	m.pos = pos
	if !m.limited || m.err != nil {
		return
	}
	if need := pos - m.old; need > m.growth {
		if err := m.l.reserve(kv.OpStore, m.name, need-m.growth); err != nil {
			m.err = err
			return
		}
		m.growth = need
	}
}

// meteredSource fails its Reads once the meter's reservation failed.
type meteredSource struct {
	io.ReadSeeker
	m *meter
}

func (s *meteredSource) Read(p []byte) (int, error) {
	if s.m.err != nil {
		return 0, s.m.err
	}
	n, err := s.ReadSeeker.Read(p)
	if s.m.err != nil {
		return 0, s.m.err
	}
	return n, err
}
