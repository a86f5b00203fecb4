package restserver

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kvcompose/compose/internal/restproto"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

// StreamBuffer is the most memory a streamed request body or answer goes
// through: a store reads its body, and a load copies its value, through
// one buffer of this size (or of the value's size, when smaller), taken
// from the memory budget.
const StreamBuffer = 128 << 10

// SmallBody is the largest body of known length that a store reads whole
// and stores with Store, the fast path for small values (Borg's objects):
// its length is taken from the memory budget, and its hash checked before
// the store sees it. A larger body, or one of unknown length (chunked),
// streams.
const SmallBody = 1 << 20

// bufPool holds the buffers of StreamBuffer bytes.
var bufPool = sync.Pool{New: func() any { b := make([]byte, StreamBuffer); return &b }}

// streamBuffer returns the buffer size of a stream of n bytes (-1:
// unknown): at most StreamBuffer, at most the budget.
func (h *Handler) streamBuffer(n int64) int64 {
	size := min(int64(StreamBuffer), h.mem.limit)
	if n >= 0 {
		size = min(size, n)
	}
	return size
}

// getBuffer returns a buffer of size bytes; putBuffer gives it back.
func getBuffer(size int64) []byte {
	if size == StreamBuffer {
		return *bufPool.Get().(*[]byte)
	}
	return make([]byte, size)
}

func putBuffer(b []byte) {
	if len(b) == StreamBuffer {
		bufPool.Put(&b)
	}
}

// errHashMismatch is the end of a body whose SHA-256 is not the one its
// request announced.
var errHashMismatch = errors.New(restproto.HashMismatch)

// errNoTrailer is the end of a chunked body whose request promised its
// hash in a trailer that did not come.
var errNoTrailer = errors.New("the request promised its " + restproto.HeaderContentHash + " in a trailer, and sent none")

// storeBody is the body of a store as StoreStream reads it: every read
// has the stall timeout as deadline; with a hash to verify (in the header
// or, for a chunked body, in its trailer), it hashes the bytes as they
// pass and ends with errHashMismatch instead of io.EOF when the value is
// not the one sent, so that the store fails and nothing is stored.
type storeBody struct {
	q    *request
	src  io.Reader
	want string    // the hex SHA-256 announced, restproto.HashInTrailer, or ""
	sum  hash.Hash // nil when there is nothing to verify
	err  error     // the first failure of the body itself, sticky
	eof  bool      // the body was read to its end and verified
}

func (b *storeBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.eof {
		return 0, io.EOF
	}
	_ = b.q.rc.SetReadDeadline(time.Now().Add(b.q.h.stall))
	n, err := b.src.Read(p)
	if b.sum != nil {
		b.sum.Write(p[:n])
	}
	switch {
	case err == io.EOF:
		if verr := b.verify(); verr != nil {
			b.err = verr
			return n, verr
		}
		b.eof = true
	case err != nil:
		b.err = err
	}
	return n, err
}

// verify compares the hash of the body with the one announced.
func (b *storeBody) verify() error {
	if b.sum == nil {
		return nil
	}
	want := b.want
	if want == restproto.HashInTrailer {
		if want = b.q.r.Trailer.Get(restproto.HeaderContentHash); want == "" {
			return errNoTrailer
		}
	}
	if !strings.EqualFold(hex.EncodeToString(b.sum.Sum(nil)), want) {
		return errHashMismatch
	}
	return nil
}

// store streams the value into the store with StoreStream, checking its
// hash on the way when the client sent one (in the X-Content-hash-sha256
// header, or in a trailer of a chunked body when that header says
// restproto.HashInTrailer); a damaged value is refused with 422 and
// nothing is stored, nor is anything when the body is short, too large,
// stalls or breaks.
func (q *request) store() {
	if !q.checkName(kv.OpStore, q.name, false) {
		return
	}
	if err := q.fitsQuota(); err != nil {
		q.unread()
		q.fail(err)
		return
	}
	limit, n := q.h.maxBody, q.r.ContentLength
	if n >= 0 && n <= min(SmallBody, q.h.mem.limit) {
		q.storeWhole()
		return
	}
	if n > limit {
		q.tooLarge(n, limit)
		return
	}
	size := q.h.streamBuffer(n)
	if !q.reserve(size) {
		return
	}
	defer q.h.mem.release(size)
	body := &storeBody{q: q, src: http.MaxBytesReader(q.w, q.r.Body, limit),
		want: q.r.Header.Get(restproto.HeaderContentHash)}
	if body.want != "" {
		body.sum = sha256.New()
	}
	ctx := q.r.Context()
	var err error
	if size > 0 {
		buf := getBuffer(size)
		defer putBuffer(buf)
		err = q.h.item(ctx, func() error { return q.storeStream(body, buf, n) })
	} else {
		err = q.h.item(ctx, func() error { return q.h.b.StoreStream(ctx, q.name, body, n) })
	}
	switch {
	case errors.Is(body.err, errHashMismatch):
		q.text(http.StatusUnprocessableEntity, restproto.HashMismatch)
	case errors.Is(body.err, errNoTrailer):
		q.badRequest("Bad Request: " + errNoTrailer.Error())
	case body.err != nil:
		// The deadline stays: the server then drops a connection whose
		// client stalled instead of waiting on it.
		q.readFailed(body.err, limit)
	case err != nil:
		if !body.eof {
			q.unread()
		}
		q.fail(err)
	default:
		_ = q.rc.SetReadDeadline(time.Time{})
		q.ok()
	}
}

// storeStream stores body (of n bytes, -1: unknown) through buf. A body
// of unknown length that ends within buf is stored with Store, the fast
// path for small values.
func (q *request) storeStream(body *storeBody, buf []byte, n int64) error {
	ctx := q.r.Context()
	if n >= 0 {
		return q.h.b.StoreStream(ctx, q.name, newBuffered(body, buf), n)
	}
	k, err := io.ReadFull(body, buf)
	switch {
	case body.err != nil:
		return body.err
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		return q.h.b.Store(ctx, q.name, buf[:k])
	}
	return q.h.b.StoreStream(ctx, q.name, io.MultiReader(bytes.NewReader(buf), body), -1)
}

// storeWhole reads a small body whole, checks its hash when the client
// sent one, and stores it with Store; a damaged value is refused with 422
// and nothing is stored.
func (q *request) storeWhole() {
	want := q.r.Header.Get(restproto.HeaderContentHash)
	value, reserved, ok := q.readBody()
	if !ok {
		return
	}
	defer q.h.mem.release(reserved)
	if want != "" {
		sum := sha256.Sum256(value)
		if !strings.EqualFold(hex.EncodeToString(sum[:]), want) {
			q.text(http.StatusUnprocessableEntity, restproto.HashMismatch)
			return
		}
	}
	ctx := q.r.Context()
	q.done(q.h.item(ctx, func() error { return q.h.b.Store(ctx, q.name, value) }))
}

// buffered is a reader of src through buf, with no allocation of its own:
// a read larger than buf goes to src directly.
type buffered struct {
	src  io.Reader
	buf  []byte
	r, w int
	err  error
}

func newBuffered(src io.Reader, buf []byte) *buffered { return &buffered{src: src, buf: buf} }

func (b *buffered) Read(p []byte) (int, error) {
	if b.r == b.w {
		if b.err != nil {
			return 0, b.err
		}
		if len(p) >= len(b.buf) {
			n, err := b.src.Read(p)
			b.err = err
			if n > 0 {
				return n, nil
			}
			return 0, err
		}
		b.r = 0
		b.w, b.err = b.src.Read(b.buf)
		if b.w == 0 {
			return 0, b.err
		}
	}
	n := copy(p, b.buf[b.r:b.w])
	b.r += n
	return n, nil
}

// load answers a load. Info tells the size of the item (or of the range,
// clamped to it): up to SmallBody, Load answers (the fast path for small
// values); a larger value comes from LoadStream, copied out through one
// buffer with the stall timeout on every write, its Content-Length the
// size Info told. Should the value read not be that long (the item was
// replaced between the two calls), the answer is cut off before its last
// byte, so that the client sees a broken answer, never a wrong one.
func (q *request) load(opts []kv.Option, status int) {
	ctx, b := q.r.Context(), q.h.b
	err := q.h.item(ctx, func() error {
		info, err := b.Info(ctx, q.name)
		if err != nil {
			return err
		}
		length := info.Size
		if offset, size, ranged := backendkit.RangeOf(opts); ranged {
			start, end := backendkit.ClampRange(info.Size, offset, size)
			length = end - start
		}
		if !info.Exists || info.Directory || length <= SmallBody {
			// The fast path, and the errors of Load.
			value, err := b.Load(ctx, q.name, opts...)
			if err != nil {
				return err
			}
			q.reply(status, "application/octet-stream", value)
			return nil
		}
		rc, err := b.LoadStream(ctx, q.name, opts...)
		if err != nil {
			return err
		}
		defer rc.Close()
		size := q.h.streamBuffer(length)
		if !q.reserve(size) {
			return nil
		}
		defer q.h.mem.release(size)
		q.send(status, &exactReader{r: rc, left: length}, length, size)
		return nil
	})
	if err != nil {
		q.fail(err)
	}
}

// errChanged is the failure of a value that is not as long as announced.
var errChanged = errors.New("the value changed while it was read")

// send answers status with the length bytes of r, copied through a
// buffer of size bytes. A failure after the head is sent aborts the
// answer: the client sees a body shorter than its Content-Length.
func (q *request) send(status int, r io.Reader, length, size int64) {
	hd := q.w.Header()
	hd.Set("Content-Type", "application/octet-stream")
	hd.Set("Content-Length", strconv.FormatInt(length, 10))
	q.w.WriteHeader(status)
	defer q.rc.SetWriteDeadline(time.Time{})
	var buf []byte
	if size > 0 {
		buf = getBuffer(size)
		defer putBuffer(buf)
	} else {
		buf = make([]byte, 1)
	}
	for {
		n, err := r.Read(buf)
		if n > 0 {
			_ = q.rc.SetWriteDeadline(time.Now().Add(q.h.stall))
			if _, werr := q.w.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			q.h.log.Log(q.r.Context(), slog.LevelError, "load failed while sending", "uri", q.r.RequestURI, "err", err)
			panic(http.ErrAbortHandler)
		}
	}
	_ = q.rc.SetWriteDeadline(time.Now().Add(q.h.stall))
	_ = q.rc.Flush()
}

// exactReader reads left bytes of r and then its end: a value that ends
// early, or goes on, is errChanged, and the last bytes are given only once
// the end is seen, so that nothing of a longer value passes as whole.
type exactReader struct {
	r    io.Reader
	left int64
	done bool
}

func (e *exactReader) Read(p []byte) (int, error) {
	if e.done {
		return 0, io.EOF
	}
	if int64(len(p)) < e.left || len(p) == 0 {
		n, err := e.r.Read(p)
		e.left -= int64(n)
		if err == io.EOF {
			return n, errChanged
		}
		return n, err
	}
	// The rest fits: read it whole, then make sure the value ends there.
	p = p[:e.left]
	n, err := io.ReadFull(e.r, p)
	e.left -= int64(n)
	if err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			err = errChanged
		}
		return n, err
	}
	var one [1]byte
	for {
		m, err := e.r.Read(one[:])
		switch {
		case m > 0:
			return 0, errChanged
		case err == io.EOF:
			e.done = true
			return n, nil
		case err != nil:
			return 0, err
		}
	}
}
