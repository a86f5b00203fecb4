package throttle

import (
	"context"
	"io"
	"sync/atomic"
	"time"

	"github.com/kvcompose/compose/internal/backoff"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

// LoadStream forwards LoadStream, pays the latency once, before it returns
// the reader, and paces the stream at the download bandwidth as the
// caller reads it: each Read waits until the link has carried its bytes.
// A wait cut short by the context fails the Read with the context's error.
func (l *Layer) LoadStream(ctx context.Context, name string, opts ...kv.Option) (io.ReadCloser, error) {
	if l.off {
		return l.next.LoadStream(ctx, name, opts...)
	}
	start := time.Now()
	rc, err := l.next.LoadStream(ctx, name, opts...)
	if err = l.pay(ctx, kv.OpLoad, name, start, nil, 0, err); err != nil {
		if rc != nil {
			rc.Close()
		}
		return nil, err
	}
	if l.down == nil {
		return rc, nil
	}
	return &pacedReader{rc: rc, ctx: ctx, name: name, k: l.down, begin: time.Now()}, nil
}

// StoreStream forwards StoreStream, pacing the reads of src at the upload
// bandwidth (each Read of the backend below waits until the link has
// carried its bytes), and pays the latency once: the call lasts at least
// Latency plus the time the bytes take on an idle link. A wait cut short
// by the context ends at once; the backend's next Read of src then fails
// with the context's error (backendkit.Source), and so does the call.
func (l *Layer) StoreStream(ctx context.Context, name string, src io.Reader, size int64, opts ...kv.Option) error {
	if l.off {
		return l.next.StoreStream(ctx, name, src, size, opts...)
	}
	start := time.Now()
	var sent atomic.Int64 // a driver that fails may still be reading src
	if l.up != nil {
		src = backendkit.ObserveSource(src, func(n int) {
			sent.Add(int64(n))
			_ = l.up.wait(ctx, n, time.Time{}) // cut short: the next Read fails
		}, nil)
	}
	err := l.next.StoreStream(ctx, name, src, size, opts...)
	if l.up != nil {
		start = start.Add(l.up.transfer(int(min(sent.Load(), 1<<50))))
	}
	return l.pay(ctx, kv.OpStore, name, start, nil, 0, err)
}

// pacedReader is a LoadStream paced by a link: the bytes it gives take
// at least their time on an idle link from begin (a burst the link saved
// while idle does not make a stream faster than the link), and their
// time on the shared link.
type pacedReader struct {
	rc    io.ReadCloser
	ctx   context.Context
	name  string
	k     *link
	begin time.Time // when the stream opened, its latency paid
	read  int64     // the bytes given so far
	err   error     // the wait was cut short: sticky
}

func (p *pacedReader) Read(b []byte) (int, error) {
	if p.err != nil {
		return 0, p.err
	}
	n, err := p.rc.Read(b)
	if n > 0 {
		p.read += int64(n)
		floor := p.begin.Add(p.k.transfer(int(min(p.read, 1<<50))))
		if werr := p.k.wait(p.ctx, n, floor); werr != nil {
			p.err = backendkit.NewError(kv.OpLoad, p.name, nil, werr)
			return 0, p.err
		}
	}
	return n, err
}

func (p *pacedReader) Close() error { return p.rc.Close() }

// wait returns when the link has carried n more bytes, and not before
// floor, or with the context's error when ctx is done first; the bytes not
// carried then are given back to the link.
func (k *link) wait(ctx context.Context, n int, floor time.Time) error {
	now := time.Now()
	carried, rs := k.reserve(now, n)
	if floor.After(carried) {
		carried = floor
	}
	if err := backoff.Sleep(ctx, carried.Sub(now)); err != nil {
		t := time.Now()
		for i := len(rs) - 1; i >= 0; i-- {
			rs[i].CancelAt(t)
		}
		return err
	}
	return nil
}
