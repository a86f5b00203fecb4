// Package restserver serves any kv.Backend over borgstore's REST protocol
// (version 1, as borgstore 0.6 and 0.7 speak it), over TCP, TLS, a socket
// handed over by systemd, or HTTP/1.1 on a pair of pipes (stdin/stdout under
// ssh).
//
// The Handler serves a driver-level store: nesting and soft delete stay on
// the client's side, as in borgstore. It opens the store on the first item
// request and keeps it open; item requests run concurrently, only create
// and destroy wait for the requests in flight.
//
// Values stream both ways. A store's body goes into StoreStream as it
// arrives (size: its Content-Length, or -1 when chunked), its SHA-256
// verified on the way when the client sent one, in X-Content-hash-sha256
// or (a chunked body, the header saying restproto's "trailer") in a
// trailer of that name: a value that does not match fails the store, and
// is refused with 422 with nothing stored; so is nothing stored of a body
// that is short, cut off, over WithMaxBody or stalled past the stall
// timeout. A load larger than SmallBody is copied out of LoadStream with
// the Content-Length that Info gives (of the range, clamped); should the
// value read not have that length, the answer is cut off, never completed
// with other bytes. Bodies of known length up to SmallBody (and chunked
// ones that end within StreamBuffer) are stored with Store, and small
// values loaded with Load: the fast path.
//
// The memory budget (WithMemoryBudget) bounds what the Handler holds of
// bodies: a small body read whole (its length), the one buffer a stream
// goes through (StreamBuffer, or the value's size when smaller), a
// defrag's body and blocks. A request whose Content-Length cannot fit
// WithMaxBody or the quota is refused before its body is read.
package restserver

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kvcompose/compose/internal/restproto"
	"github.com/kvcompose/compose/kv"
)

// Defaults of the options.
const (
	// DefaultMaxBody is the largest request body accepted: 1 GiB.
	DefaultMaxBody = 1 << 30
	// DefaultStallTimeout is how long a request body or a response may
	// make no progress before the connection is dropped.
	DefaultStallTimeout = 60 * time.Second
	// DefaultMemoryBudget is the body memory all requests share: 256 MiB,
	// two thousand streams' buffers, or many times Borg 2's largest
	// objects (chunks of at most 8 MiB by default, 16 MiB at the chunker's
	// largest setting).
	DefaultMemoryBudget = 256 << 20
	// DefaultMemoryWait is how long a request waits for its share of the
	// memory budget before it is refused with 503: shorter than the 30 s
	// borgstore's clients wait for an answer.
	DefaultMemoryWait = 10 * time.Second
)

// Handler is an http.Handler that serves a kv.Backend over borgstore's REST
// protocol. It is safe for concurrent use.
type Handler struct {
	b       kv.Backend
	user    [sha256.Size]byte // digests of the credentials, when auth is on
	pass    [sha256.Size]byte
	auth    bool
	maxBody int64
	stall   time.Duration
	log     *slog.Logger
	mem     *budget
	memWait time.Duration

	// mu is held shared by item requests and alone by create, destroy and
	// the opening and closing of the store; open says whether the store
	// is open.
	mu   sync.RWMutex
	open atomic.Bool

	obs *observer // spans, metrics, access log (observe.go); nil: none
}

var _ http.Handler = (*Handler)(nil)

// Option configures a Handler.
type Option func(*Handler)

// WithCredentials makes the Handler require HTTP Basic auth with user and
// pass (compared in constant time). Empty values turn auth off, as in
// borgstore.
func WithCredentials(user, pass string) Option {
	return func(h *Handler) {
		h.auth = user != "" && pass != ""
		h.user, h.pass = sha256.Sum256([]byte(user)), sha256.Sum256([]byte(pass))
	}
}

// WithMaxBody sets the largest request body accepted (DefaultMaxBody);
// a bigger one is refused with 413 before it is read (a chunked one, once
// it passes the limit, nothing stored). A defrag's body, read whole, is
// bounded by the memory budget too.
func WithMaxBody(n int64) Option { return func(h *Handler) { h.maxBody = n } }

// WithMemoryBudget sets how much body memory all requests share
// (DefaultMemoryBudget): a small store reserves its Content-Length, a
// streamed store or load the buffer it goes through (StreamBuffer, or the
// value's size when smaller), a defrag its body and the blocks it asks
// for, before they allocate, and give it back once answered. A request
// that finds the budget in use waits for it (see WithMemoryWait), then is
// refused with 503 Service Unavailable and a Retry-After header.
func WithMemoryBudget(n int64) Option { return func(h *Handler) { h.mem = newBudget(n) } }

// WithMemoryWait sets how long a request waits for its share of the
// memory budget before it is refused with 503 (DefaultMemoryWait).
func WithMemoryWait(d time.Duration) Option { return func(h *Handler) { h.memWait = d } }

// WithStallTimeout sets how long reading a request body, or writing a
// response, may make no progress before the connection is dropped
// (DefaultStallTimeout), so that a stuck client holds nothing for long.
func WithStallTimeout(d time.Duration) Option { return func(h *Handler) { h.stall = d } }

// WithLogger makes the Handler log failed requests to l (nowhere by
// default): client errors at debug level, server errors at error level.
func WithLogger(l *slog.Logger) Option { return func(h *Handler) { h.log = l } }

// New returns a Handler that serves b, a driver-level store that is not
// open: the Handler opens it on the first item request.
func New(b kv.Backend, opts ...Option) *Handler {
	h := &Handler{b: b, maxBody: DefaultMaxBody, stall: DefaultStallTimeout,
		log: slog.New(slog.DiscardHandler), mem: newBudget(DefaultMemoryBudget), memWait: DefaultMemoryWait}
	for _, o := range opts {
		o(h)
	}
	if h.obs != nil {
		h.obs.setup(h)
	}
	return h
}

// Close closes the store if the Handler opened it. Requests after Close
// open it again.
func (h *Handler) Close(ctx context.Context) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.open.Load() {
		return nil
	}
	h.open.Store(false)
	return h.b.Close(ctx)
}

// item runs f, an item call, with the store open.
func (h *Handler) item(ctx context.Context, f func() error) error {
	h.mu.RLock()
	for !h.open.Load() {
		h.mu.RUnlock()
		h.mu.Lock()
		if !h.open.Load() {
			// The store stays open for every client: one that goes away
			// must not cut its opening short.
			err := h.b.Open(context.WithoutCancel(ctx))
			if err != nil && !errors.Is(err, kv.ErrAlreadyOpen) {
				h.mu.Unlock()
				return err
			}
			h.open.Store(true)
		}
		h.mu.Unlock()
		h.mu.RLock()
	}
	defer h.mu.RUnlock()
	return f()
}

// lifecycle runs f, Create or Destroy, with the store closed.
func (h *Handler) lifecycle(ctx context.Context, f func(context.Context) error) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.open.Load() {
		h.open.Store(false)
		if err := h.b.Close(ctx); err != nil {
			return err
		}
	}
	return f(ctx)
}

// request is one request being answered.
type request struct {
	h    *Handler
	w    http.ResponseWriter
	r    *http.Request
	rc   *http.ResponseController
	name string // the item: the path without its leading and trailing "/"
	dir  bool   // the path ends in "/": a listing
}

// serveRequest answers one request of borgstore's REST protocol.
func (h *Handler) serveRequest(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", restproto.CacheControl)
	q := &request{h: h, w: w, r: r, rc: http.NewResponseController(w)}
	if r.Header.Get("Accept") != restproto.MediaType {
		q.text(http.StatusNotAcceptable, "Not Acceptable: unsupported or missing Accept header")
		return
	}
	if !h.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Basic realm="`+restproto.Realm+`"`)
		q.text(http.StatusUnauthorized, "Unauthorized")
		return
	}
	// The name is taken from the path as it was sent, not percent-decoded:
	// "%2e%2e" is a name with "%" in it, which is invalid.
	p := r.URL.EscapedPath()
	if !strings.HasPrefix(p, "/") {
		q.text(http.StatusBadRequest, "Bad Request: the path must start with /")
		return
	}
	q.name, q.dir = strings.TrimPrefix(p, "/"), strings.HasSuffix(p, "/")
	if q.dir {
		q.name = strings.TrimSuffix(q.name, "/")
	}
	switch r.Method {
	case http.MethodPost:
		q.post()
	case http.MethodDelete:
		q.delete()
	case http.MethodHead:
		q.head()
	case http.MethodGet:
		q.get()
	default:
		w.Header().Set("Allow", "GET, HEAD, POST, DELETE")
		q.text(http.StatusMethodNotAllowed, "Method Not Allowed")
	}
}

// authorized checks the Basic auth credentials in constant time.
func (h *Handler) authorized(r *http.Request) bool {
	if !h.auth {
		return true
	}
	user, pass, ok := r.BasicAuth()
	u, p := sha256.Sum256([]byte(user)), sha256.Sum256([]byte(pass))
	okUser := subtle.ConstantTimeCompare(u[:], h.user[:])
	okPass := subtle.ConstantTimeCompare(p[:], h.pass[:])
	return ok && okUser&okPass == 1
}

// reply sends status with body, which may be nil; Content-Length is always
// set.
func (q *request) reply(status int, contentType string, body []byte) {
	hd := q.w.Header()
	if contentType != "" {
		hd.Set("Content-Type", contentType)
	}
	if hd.Get("Content-Length") == "" {
		hd.Set("Content-Length", strconv.Itoa(len(body)))
	}
	q.w.WriteHeader(status)
	if q.r.Method == http.MethodHead {
		body = nil
	}
	q.write(body)
}

// write sends body and flushes the response, dropping the connection when
// the client takes no part of it for the stall timeout. The deadline is
// cleared at the end: the server does not reset it for the next request
// on the connection.
func (q *request) write(body []byte) {
	const chunk = 1 << 20
	defer q.rc.SetWriteDeadline(time.Time{})
	for len(body) > 0 {
		n := min(len(body), chunk)
		_ = q.rc.SetWriteDeadline(time.Now().Add(q.h.stall))
		if _, err := q.w.Write(body[:n]); err != nil {
			return
		}
		body = body[n:]
	}
	_ = q.rc.SetWriteDeadline(time.Now().Add(q.h.stall))
	_ = q.rc.Flush()
}

// text sends status with a plain text body.
func (q *request) text(status int, msg string) {
	q.reply(status, "text/plain; charset=utf-8", []byte(msg))
}

// ok sends 200 without a body.
func (q *request) ok() { q.reply(http.StatusOK, "", nil) }

// fail sends the status and reason of err.
func (q *request) fail(err error) {
	status := restproto.Status(err)
	msg := restproto.Message(err)
	level := slog.LevelDebug
	if status >= 500 {
		level = slog.LevelError
	}
	q.h.log.Log(q.r.Context(), level, "request failed", "method", q.r.Method,
		"uri", q.r.RequestURI, "status", status, "err", err)
	q.text(status, msg)
}

// badRequest sends 400 with msg.
func (q *request) badRequest(msg string) { q.text(http.StatusBadRequest, msg) }

// bodyLimit is the largest body read whole (a small store, a defrag): the
// body limit, or the whole memory budget when that is smaller.
func (h *Handler) bodyLimit() int64 { return min(h.maxBody, h.mem.limit) }

// unread marks the answer to a request whose body is refused unread: the
// connection closes after it (net/http would otherwise wait for the body
// before it answers). On stdio the body is skipped and the session goes on.
func (q *request) unread() { q.w.Header().Set("Connection", "close") }

// tooLarge answers 413 for a body of n bytes (-1: unknown) over limit.
func (q *request) tooLarge(n, limit int64) {
	q.unread()
	msg := "Request Entity Too Large: the limit is " + strconv.FormatInt(limit, 10) + " bytes"
	if n >= 0 {
		msg = "Request Entity Too Large: " + strconv.FormatInt(n, 10) + " bytes, the limit is " +
			strconv.FormatInt(limit, 10) + " bytes"
	}
	q.text(http.StatusRequestEntityTooLarge, msg)
}

// reserve takes n bytes of the memory budget, or answers 503 and reports
// false when they did not come free in time.
func (q *request) reserve(n int64) bool {
	if q.h.mem.acquire(q.r.Context(), n, q.h.memWait) {
		return true
	}
	q.unread()
	q.w.Header().Set("Retry-After", strconv.Itoa(max(1, int(q.h.memWait/time.Second))))
	q.text(http.StatusServiceUnavailable, "Service Unavailable: the server's request memory ("+
		strconv.FormatInt(q.h.mem.limit, 10)+" bytes) is in use; retry later")
	return false
}

// readBody reads the request body to exactly its Content-Length (or to
// its end when chunked), at most bodyLimit bytes, dropping the connection
// when the client sends nothing for the stall timeout. It takes the memory
// from the budget before it allocates: a Content-Length whole, a chunked
// body as it grows. On success the caller gives reserved back to the
// budget once done with the body; on an error readBody has sent the answer
// and given back what it took.
func (q *request) readBody() (body []byte, reserved int64, ok bool) {
	limit, n := q.h.bodyLimit(), q.r.ContentLength
	if n > limit {
		q.tooLarge(n, limit)
		return nil, 0, false
	}
	if n == 0 {
		return []byte{}, 0, true
	}
	src := http.MaxBytesReader(q.w, q.r.Body, limit)
	var buf []byte
	if n > 0 {
		if !q.reserve(n) {
			return nil, 0, false
		}
		reserved = n
		buf = make([]byte, 0, n)
	} else {
		size := min(64<<10, limit)
		if !q.reserve(size) {
			return nil, 0, false
		}
		reserved = size
		buf = make([]byte, 0, size)
	}
	for {
		if len(buf) == cap(buf) {
			if n >= 0 || int64(cap(buf)) >= limit {
				// Read on only to see the end, or the excess.
				var probe [1]byte
				m, err := q.readSome(src, probe[:])
				if m > 0 {
					err = &http.MaxBytesError{Limit: limit}
				}
				if m == 0 && err == io.EOF {
					break
				}
				if err == nil {
					continue
				}
				q.h.mem.release(reserved)
				q.readFailed(err, limit)
				return nil, 0, false
			}
			grown := min(2*int64(cap(buf)), limit)
			if !q.reserve(grown) {
				q.h.mem.release(reserved)
				return nil, 0, false
			}
			nb := make([]byte, len(buf), grown)
			copy(nb, buf)
			q.h.mem.release(int64(cap(buf)))
			reserved += grown - int64(cap(buf))
			buf = nb
		}
		m, err := q.readSome(src, buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+m]
		if err == io.EOF {
			break
		}
		if err != nil {
			q.h.mem.release(reserved)
			q.readFailed(err, limit)
			return nil, 0, false
		}
	}
	// The deadline stays after a failure: the server then drops a
	// connection whose client stalled instead of waiting on it.
	_ = q.rc.SetReadDeadline(time.Time{})
	if n >= 0 && int64(len(buf)) != n {
		q.h.mem.release(reserved)
		q.badRequest(errShortBody.Error())
		return nil, 0, false
	}
	return buf, reserved, true
}

// readSome reads into p with the stall timeout as deadline.
func (q *request) readSome(r io.Reader, p []byte) (int, error) {
	_ = q.rc.SetReadDeadline(time.Now().Add(q.h.stall))
	return r.Read(p)
}

// errShortBody is the failure of a body shorter than its Content-Length.
var errShortBody = errors.New("request body shorter than its Content-Length")

// readFailed answers a request whose body could not be read: 413 over the
// limit, 408 when the client stalled, else 400 (short or malformed, such
// as bad chunked encoding).
func (q *request) readFailed(err error, limit int64) {
	var tooLarge *http.MaxBytesError
	var netErr net.Error
	switch {
	case errors.As(err, &tooLarge):
		q.tooLarge(-1, limit)
	case errors.Is(err, io.ErrUnexpectedEOF):
		q.badRequest(errShortBody.Error())
	case errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &netErr) && netErr.Timeout():
		q.text(http.StatusRequestTimeout, "Request Timeout: reading the request body: "+err.Error())
	default:
		q.badRequest("Bad Request: reading the request body: " + err.Error())
	}
}
