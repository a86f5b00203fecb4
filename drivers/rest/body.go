package rest

import (
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kvcompose/compose/kv"
)

// errTooLong is the error of a body longer than the call accepts; it wraps
// kv.ErrProtocol.
var errTooLong = fmt.Errorf("%w: the answer is longer than asked", kv.ErrProtocol)

// readAll reads r to its end into a buffer that grows as the bytes arrive.
// claimed is the length the server announced (-1 when unknown), limit the
// most bytes the call accepts (-1 for no limit) and ahead the most bytes
// allocated before they arrive: the first allocation is the smallest of
// the three (plus one byte, to see the end without another allocation),
// and the buffer then at most doubles, never past the claim nor the limit,
// so that a false claim costs at most ahead bytes and memory follows what
// really arrived. More than limit bytes is errTooLong, with the first
// limit bytes.
func readAll(r io.Reader, claimed, limit int64, ahead int) ([]byte, error) {
	size := int64(max(ahead, 0))
	if claimed >= 0 {
		size = min(size, claimed+1)
	}
	if limit >= 0 {
		size = min(size, limit+1)
	}
	buf := make([]byte, 0, size)
	for {
		if n := int64(len(buf)); n == int64(cap(buf)) {
			grow := max(n, 512)
			if claimed >= n {
				grow = min(grow, claimed+1-n)
			}
			if limit >= 0 {
				grow = min(grow, limit+1-n)
			}
			next := make([]byte, n, n+grow)
			copy(next, buf)
			buf = next
		}
		k, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+k]
		switch {
		case limit >= 0 && int64(len(buf)) > limit:
			return buf[:limit], errTooLong
		case errors.Is(err, io.EOF):
			return buf, nil
		case err != nil:
			return buf, err
		}
	}
}

// errStalled is the cause of a call that the watchdog ended.
var errStalled = errors.New("the server stalled")

// watchdog ends a call (its stop function) when it makes no progress for a
// while: arm sets the while, and every sign of progress arms it again.
type watchdog struct {
	timer *time.Timer
	fired atomic.Bool
	wait  atomic.Int64 // the while of the last arm, for the error
	recv  atomic.Bool  // the answer has begun: sending no longer arms
}

// newWatchdog returns a watchdog that calls stop once d passes without a
// new arm.
func newWatchdog(d time.Duration, stop func()) *watchdog {
	w := &watchdog{}
	w.wait.Store(int64(d))
	w.timer = time.AfterFunc(d, func() {
		w.fired.Store(true)
		stop()
	})
	return w
}

// arm restarts the wait with d.
func (w *watchdog) arm(d time.Duration) {
	if !w.fired.Load() {
		w.wait.Store(int64(d))
		w.timer.Reset(d)
	}
}

// end stops the watchdog; err is what the call failed with, replaced by the
// watchdog's own error when it fired. A call that succeeded before the
// watchdog's stop took effect keeps its success.
func (w *watchdog) end(err error) error {
	w.timer.Stop()
	return w.failed(err)
}

// progressReader arms a watchdog with stall whenever bytes arrive.
type progressReader struct {
	r     io.Reader
	w     *watchdog
	stall time.Duration
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if n > 0 {
		p.w.arm(p.stall)
	}
	return n, err
}

// sendBody is a request body that arms a watchdog with stall while it is
// read (sent), until the answer begins.
type sendBody struct {
	rc    io.ReadCloser
	w     *watchdog
	stall time.Duration
}

func (s *sendBody) Read(b []byte) (int, error) {
	n, err := s.rc.Read(b)
	if !s.w.recv.Load() {
		s.w.arm(s.stall)
	}
	return n, err
}

func (s *sendBody) Close() error { return s.rc.Close() }

// pause stops the wait until the next arm: the time between two reads of
// a body is the caller's, not the server's.
func (w *watchdog) pause() {
	if !w.fired.Load() {
		w.timer.Stop()
	}
}

// failed is err, replaced by the watchdog's own error when it fired.
func (w *watchdog) failed(err error) error {
	if err != nil && w.fired.Load() {
		return fmt.Errorf("%w: no progress for %v", errStalled, time.Duration(w.wait.Load()))
	}
	return err
}

// recvBody is the body of an answer as open hands it over: each Read runs
// under the watchdog (armed with stall while it waits, paused between
// reads); end is called once, when the body ends or fails (complete
// tells) or at Close, and Close returns its error.
type recvBody struct {
	r     io.Reader
	w     *watchdog
	stall time.Duration
	end   func(complete bool) error
	once  sync.Once
	err   error // sticky: io.EOF or the failure
	cerr  error // of end
}

func (b *recvBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	b.w.arm(b.stall)
	n, err := b.r.Read(p)
	b.w.pause()
	if err != nil {
		if err != io.EOF {
			err = b.w.failed(err)
		}
		b.err = err
		b.finish(err == io.EOF)
	}
	return n, err
}

func (b *recvBody) finish(complete bool) {
	b.once.Do(func() {
		b.w.timer.Stop()
		b.cerr = b.end(complete)
	})
}

func (b *recvBody) Close() error {
	if b.err == nil {
		b.err = errClosed
	}
	b.finish(false)
	return b.cerr
}

// errClosed is the error of a Read after Close.
var errClosed = errors.New("read after Close")
