package sftp

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"

	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

// DefaultInFlight is the number of READ or WRITE requests of 32 KiB that
// a stream keeps in flight by default: 2 MiB, which fills a link of 800
// Mbit/s at a round trip of 20 ms.
const DefaultInFlight = 64

// WithInFlight sets how many READ or WRITE requests of 32 KiB one
// LoadStream or StoreStream keeps in flight (default DefaultInFlight; at
// least 1). A LoadStream holds up to that many answers in memory (n times
// 32 KiB); a StoreStream holds one request, and n bounds what it has sent
// and not yet seen written.
func WithInFlight(n int) Option { return func(c *config) { c.inFlight = max(n, 1) } }

// LoadStream opens the value of name, or the part a kv.Range selects, for
// reading as a stream (see kv.Backend). It opens the file, then sends its
// FSTAT with the READs of the first 64 KiB (when the range says where to
// start), as Load does; once the size is known, it keeps WithInFlight
// READs of 32 KiB in flight as the caller reads, and sends the CLOSE,
// without waiting for its answer, at the end or at Close. Cancelling ctx
// while the reader is open ends it as it ends a call: by closing the
// connection it waits on.
func (d *Driver) LoadStream(ctx context.Context, name string, opts ...kv.Option) (io.ReadCloser, error) {
	const op = kv.OpLoad
	if err := d.lc.Begin(ctx, op, name, opts, kv.KindRange); err != nil {
		return nil, err
	}
	offset, size, ranged := backendkit.RangeOf(opts)
	var r *reader
	err := d.do(ctx, op, name, func(c *client) error {
		var err error
		r, err = d.openStream(ctx, c, name, offset, size, ranged)
		return err
	})
	if err != nil {
		if r != nil {
			r.Close()
		}
		return nil, err
	}
	return r, nil
}

// reader is the stream of LoadStream: the READs in flight, oldest first,
// for the bytes from pos on, and the data of the oldest answer not yet
// read.
type reader struct {
	d      *Driver
	ctx    context.Context
	conn   *conn
	name   string
	h      string // "" once the CLOSE is sent
	window int
	stop   func() bool // stops the cancellation's closing of conn

	slots []slot
	free  []chan answer // channels of answers already read, for new READs
	pos   int64         // offset of the first byte not yet read
	next  int64         // offset of the next READ to send
	end   int64         // end of the value, or of the range
	round bool          // the next send follows a wait for an answer
	cur   answer        // the answer being read
	data  []byte        // what is left of it
	err   error         // sticky
	sbuf  []byte        // the packets of the next send
	wbuf  []chan answer // their channels
}

// slot is a READ in flight: n bytes from off.
type slot struct {
	off int64
	n   int
	ch  chan answer
}

// errReaderClosed is the error of Read after Close.
var errReaderClosed = errors.New("sftp: read after Close")

// openStream opens name and returns its reader (see LoadStream).
func (d *Driver) openStream(ctx context.Context, c *client, name string, offset, size int64, ranged bool) (*reader, error) {
	h, err := c.open(ctx, d.path(name), pflagRead)
	if err != nil {
		return nil, err
	}
	r := &reader{d: d, ctx: ctx, conn: c.conn, name: name, h: h, window: d.cfg.inFlight, next: -1}
	start := int64(0)
	if ranged {
		start = offset // negative: from the end, which the FSTAT tells
	}
	fstat := make(chan answer, 1)
	r.sbuf = appendRequest(r.sbuf, fstatReq(h))
	r.wbuf = append(r.wbuf, fstat)
	if start >= 0 {
		r.pos, r.next, r.end = start, start, start+firstRead
		if ranged && size >= 0 {
			r.end = start + min(size, firstRead)
		}
		r.queue()
	}
	if err := c.wire.send(r.sbuf, r.wbuf, true); err != nil {
		return nil, err
	}
	a, err := c.wire.wait(ctx, fstat)
	if err == nil {
		var n int64
		var dir bool
		n, dir, err = attrsOf(a)
		if err == nil && dir {
			err = errors.New("is a directory")
		}
		s, e := int64(0), n
		if ranged {
			s, e = backendkit.ClampRange(n, offset, size)
		}
		if r.next < 0 {
			r.pos, r.next = s, s
		}
		r.end = e
	}
	if err != nil {
		r.closeHandle()
		return nil, err
	}
	// The READs sent beyond the end are not waited for.
	for len(r.slots) > 0 && r.slots[len(r.slots)-1].off >= r.end {
		r.slots = r.slots[:len(r.slots)-1]
	}
	r.next = min(r.next, r.end)
	r.round = true
	r.stop = context.AfterFunc(ctx, func() {
		r.conn.cancelled.Store(true)
		d.link.drop(r.conn)
	})
	return r, nil
}

// queue adds to r.sbuf the READs that fill the window up to the end.
func (r *reader) queue() {
	for len(r.slots) < r.window && r.next < r.end {
		n := int(min(readChunk, r.end-r.next))
		var ch chan answer
		if k := len(r.free); k > 0 {
			ch, r.free = r.free[k-1], r.free[:k-1]
		} else {
			ch = make(chan answer, 1)
		}
		r.sbuf = appendRead(r.sbuf, r.h, r.next, n)
		r.wbuf = append(r.wbuf, ch)
		r.slots = append(r.slots, slot{off: r.next, n: n, ch: ch})
		r.next += int64(n)
	}
}

// appendRead appends the packet of a READ of n bytes at off of the file h
// to b, as appendRequest does.
func appendRead(b []byte, h string, off int64, n int) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(5+4+len(h)+8+4))
	b = append(b, fxpRead, 0, 0, 0, 0)
	b = str(b, h)
	b = binary.BigEndian.AppendUint64(b, uint64(off))
	return binary.BigEndian.AppendUint32(b, uint32(n))
}

// refill sends new READs once a quarter of the window is free (or none
// is in flight), so that they go in few writes.
func (r *reader) refill() error {
	if r.next >= r.end || len(r.slots) > 0 && r.window-len(r.slots) < max(r.window/4, 1) {
		return nil
	}
	round := r.round || len(r.slots) == 0
	r.round = false
	r.sbuf, r.wbuf = r.sbuf[:0], r.wbuf[:0]
	r.queue()
	return r.conn.sftp.wire.send(r.sbuf, r.wbuf, round)
}

// Read reads the value on.
func (r *reader) Read(p []byte) (int, error) {
	for len(r.data) == 0 {
		r.cur.release()
		if r.err != nil {
			return 0, r.err
		}
		if r.pos >= r.end {
			r.finish(io.EOF)
			continue
		}
		if err := r.fetch(); err != nil {
			r.finish(r.failed(err))
		}
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

// fetch waits for the answer of the oldest READ and makes its data the
// data to read.
func (r *reader) fetch() error {
	if err := r.refill(); err != nil {
		return err
	}
	head := r.slots[0]
	x := r.conn.sftp.wire
	a, err := x.wait(r.ctx, head.ch)
	if err != nil {
		return err
	}
	r.slots = slices.Delete(r.slots, 0, 1)
	r.free = append(r.free, head.ch)
	data, err := dataOf(a)
	switch {
	case err == io.EOF: // the file is shorter than its FSTAT said
		r.end = r.pos
		return nil
	case err != nil:
		return err
	case len(data) > head.n:
		return fmt.Errorf("%w: read %d bytes, asked for %d", errProtocol, len(data), head.n)
	case len(data) == 0:
		return fmt.Errorf("%w: a read of no bytes before the end of the file", errProtocol)
	case int64(len(data)) < min(int64(head.n), r.end-head.off):
		// A short read: read the rest of the piece again, first.
		off := head.off + int64(len(data))
		n := int(min(int64(head.n), r.end-head.off)) - len(data)
		ch := make(chan answer, 1)
		r.slots = slices.Insert(r.slots, 0, slot{off: off, n: n, ch: ch})
		buf := appendRead(r.sbuf[:0], r.h, off, n)
		r.sbuf = buf
		if err := x.send(buf, []chan answer{ch}, false); err != nil {
			a.release()
			return err
		}
	}
	r.cur, r.data = a, data[:min(int64(len(data)), r.end-r.pos)]
	r.pos += int64(len(r.data))
	return nil
}

// failed returns err as the error of the stream: the context's when it
// was cancelled, kv.ErrConnection when the connection broke.
func (r *reader) failed(err error) error {
	switch {
	case r.ctx.Err() != nil:
		return backendkit.NewError(kv.OpLoad, r.name, nil, r.ctx.Err())
	case broken(r.conn, err):
		r.d.link.drop(r.conn)
		return backendkit.NewError(kv.OpLoad, r.name, kv.ErrConnection, err)
	}
	return backendkit.FSError(kv.OpLoad, r.name, err)
}

// finish ends the stream with err: it closes the file and stops watching
// the context.
func (r *reader) finish(err error) {
	r.err = err
	r.closeHandle()
	if r.stop != nil {
		r.stop()
	}
	r.slots, r.free = nil, nil
}

// closeHandle sends the CLOSE of the file, without waiting for its
// answer, unless the connection is closed.
func (r *reader) closeHandle() {
	if r.h == "" || r.conn.closed() {
		return
	}
	buf := appendRequest(r.sbuf[:0], closeReq(r.h))
	r.h = ""
	r.conn.sftp.wire.send(buf, []chan answer{nil}, false)
}

// Close ends the stream and closes the file.
func (r *reader) Close() error {
	r.cur.release()
	r.data = nil
	if r.err == nil {
		r.finish(errReaderClosed)
	} else if r.err != errReaderClosed {
		r.err = errReaderClosed
	}
	return nil
}

// StoreStream stores the bytes of src under name (see kv.Backend), as
// Store stores a large value: it creates a temporary file beside name,
// writes src to it in WRITEs of 32 KiB, up to WithInFlight of them in
// flight, from one buffer; it sends the sync (WithSync) and the CLOSE
// behind the last WRITE, and renames the temporary over name once all
// succeeded. On a failure it closes and removes the temporary; when the
// connection broke or ctx was cancelled (which closes the connection the
// call waits on), it removes it on a new connection in the background (the
// sweep of stale temporaries catches what that cannot reach). A call that
// read src is not tried again.
func (d *Driver) StoreStream(ctx context.Context, name string, src io.Reader, size int64, opts ...kv.Option) error {
	const op = kv.OpStore
	if err := d.lc.Begin(ctx, op, name, opts); err != nil {
		return err
	}
	target := d.path(name)
	in := backendkit.Source(ctx, name, src, size)
	read := false
	return d.do(ctx, op, name, func(c *client) error {
		tmp := tempName(target)
		err := d.leftBehind(d.storeFrom(ctx, c, tmp, target, in, &read), tmp)
		var src sourceError
		switch {
		case err == nil:
			return nil
		case errors.As(err, &src):
			return settled{src.error}
		case read && ctx.Err() == nil && broken(c.conn, err):
			d.link.drop(c.conn)
			return settled{backendkit.NewError(op, name, kv.ErrConnection, err)}
		}
		return err
	})
}

// sourceError is an error of the source of a store, which says nothing
// about the connection.
type sourceError struct{ error }

func (e sourceError) Unwrap() error { return e.error }

// settled is the error of a try that ends the call as it is: not tried
// again, not wrapped further.
type settled struct{ error }

func (e settled) Unwrap() error { return e.error }

// storeFrom is one try of a store of the bytes of r into the temporary
// tmp, renamed over target (see StoreStream); r's errors are returned as
// sourceError, and *read (when read is not nil) is set once r was read.
func (d *Driver) storeFrom(ctx context.Context, c *client, tmp, target string, r io.Reader, read *bool) error {
	h, err := d.createTemp(ctx, c, tmp, target)
	if err != nil {
		return err
	}
	closed, err := d.writeFrom(ctx, c, h, r, read)
	if closed {
		h = ""
	}
	return d.commit(ctx, c, h, tmp, target, err)
}

// writeFrom writes the bytes of r to the open file h from offset 0, in
// WRITEs of writeChunk bytes read into one buffer, with up to WithInFlight
// of them in flight; then it sends the sync (WithSync) and the CLOSE of h
// behind them, and waits for all. It returns whether it sent the CLOSE.
func (d *Driver) writeFrom(ctx context.Context, c *client, h string, r io.Reader, read *bool) (closed bool, err error) {
	x := c.wire
	head := 9 + 4 + len(h) + 8 + 4
	pkt := make([]byte, head+writeChunk)
	pkt[4] = fxpWrite
	copy(pkt[9:], str(nil, h))
	flight := make([]chan answer, 0, d.cfg.inFlight)
	var free []chan answer
	one := make([]chan answer, 1)
	// oldest waits for the answer to the oldest WRITE in flight.
	oldest := func() error {
		ch := flight[0]
		flight = slices.Delete(flight, 0, 1)
		a, err := x.wait(ctx, ch)
		if err != nil {
			return err
		}
		free = append(free, ch)
		return statusError(a)
	}
	var off int64
	for last := false; !last; {
		n, rerr := io.ReadFull(r, pkt[head:])
		if read != nil {
			*read = true
		}
		switch {
		case rerr == io.EOF || rerr == io.ErrUnexpectedEOF:
			last = true
		case rerr != nil:
			return false, sourceError{rerr}
		}
		if n > 0 {
			binary.BigEndian.PutUint32(pkt, uint32(head-4+n))
			binary.BigEndian.PutUint64(pkt[head-12:], uint64(off))
			binary.BigEndian.PutUint32(pkt[head-4:], uint32(n))
			if k := len(free); k > 0 {
				one[0], free = free[k-1], free[:k-1]
			} else {
				one[0] = make(chan answer, 1)
			}
			if err := x.send(pkt[:head+n], one, len(flight) == 0); err != nil {
				return false, err
			}
			flight = append(flight, one[0])
			off += int64(n)
		}
		for len(flight) >= d.cfg.inFlight {
			if err := oldest(); err != nil {
				return false, err
			}
		}
	}
	reqs := append(d.syncReqs(nil, h), closeReq(h))
	var buf []byte
	chans := make([]chan answer, len(reqs))
	for i, q := range reqs {
		buf = appendRequest(buf, q)
		chans[i] = make(chan answer, 1)
	}
	if err := x.send(buf, chans, len(flight) == 0); err != nil {
		return false, err
	}
	for len(flight) > 0 && err == nil {
		err = oldest()
	}
	for _, ch := range chans {
		if err != nil {
			break
		}
		var a answer
		if a, err = x.wait(ctx, ch); err == nil {
			err = statusError(a)
		}
	}
	return true, err
}

// leftovers runs the removals of temporaries that stores left behind
// (removeLater) while the store is open: Open starts it, Close ends the
// removals under way and waits for them.
type leftovers struct {
	mu     sync.Mutex
	ctx    context.Context // nil while closed
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func (l *leftovers) start() {
	l.mu.Lock()
	l.ctx, l.cancel = context.WithCancel(context.Background())
	l.mu.Unlock()
}

func (l *leftovers) stop() {
	l.mu.Lock()
	if l.cancel != nil {
		l.cancel()
	}
	l.ctx, l.cancel = nil, nil
	l.mu.Unlock()
	l.wg.Wait()
}

// removeLater removes the temporary tmp in the background, on a new
// connection when the last one broke, within the driver's timeout; what it
// cannot remove is left to the sweep of stale temporaries.
func (d *Driver) removeLater(tmp string) {
	l := &d.left
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ctx == nil {
		return
	}
	l.wg.Add(1)
	ctx := l.ctx
	go func() {
		defer l.wg.Done()
		ctx, cancel := context.WithTimeout(ctx, d.cfg.timeout)
		defer cancel()
		d.do(ctx, kv.OpStore, "", func(c *client) error {
			if err := c.remove(ctx, tmp); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
			return nil
		})
	}()
}
