package restserver

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// maxHeaderBytes limits the request line and headers, on stdio as on TCP.
const maxHeaderBytes = 64 << 10

// ServeStdio answers HTTP/1.1 requests read from r, one after the other,
// writing the responses to w, until r ends (or ctx does), as
// `borgstore-server-rest --stdio` does under ssh. When h is a *Handler, the
// store is closed before ServeStdio returns. Nothing else may write to w.
//
// It reads the requests as borgstore's stdio client writes them: HTTP/1.1
// without a Host header (which net/http's server refuses with 400, so
// ServeStdio has its own loop over http.ReadRequest: one connection, one
// request then one response, no pipelining to order, nothing to route by
// host). Each response carries Content-Length and Date; a request asking
// for Connection: close, or one whose body cannot be read to its end (the
// stream is then out of step), ends the session.
func ServeStdio(ctx context.Context, h http.Handler, r io.Reader, w io.Writer) error {
	var stopped atomic.Bool
	done := make(chan error, 1)
	go func() { done <- stdioLoop(ctx, h, r, w, &stopped) }()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		// A blocked read of stdin cannot be interrupted: stop taking
		// requests and close the store (Close waits for the request in
		// flight).
		stopped.Store(true)
	}
	if hh, ok := h.(*Handler); ok {
		cctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
		defer cancel()
		if cerr := hh.Close(cctx); err == nil {
			err = cerr
		}
	}
	return err
}

// stdioLoop reads and answers requests until r ends, an answer cannot be
// written, or stopped is set.
func stdioLoop(ctx context.Context, h http.Handler, r io.Reader, w io.Writer, stopped *atomic.Bool) error {
	lim := &headLimit{r: r}
	br := bufio.NewReaderSize(lim, 64<<10)
	bw := bufio.NewWriterSize(w, 64<<10)
	for !stopped.Load() {
		lim.n = maxHeaderBytes
		if _, err := br.Peek(1); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		req, err := http.ReadRequest(br)
		lim.n = math.MaxInt64
		if err != nil {
			// The stream cannot be followed any further: say why, then end.
			status := http.StatusBadRequest
			if lim.exhausted() {
				status = http.StatusRequestHeaderFieldsTooLarge
			}
			return writeStdioError(bw, status, "malformed request: "+err.Error())
		}
		if stopped.Load() {
			return nil
		}
		req.RemoteAddr = "stdio"
		req = req.WithContext(ctx)
		resp := &stdioResponse{w: bw, req: req, header: http.Header{}, length: -1}
		if !serveOne(h, resp, req) {
			// The handler cut its answer off (a value that broke while
			// it was sent): the client sees the stream end.
			_ = bw.Flush()
			return nil
		}
		if err := resp.finish(); err != nil {
			return err
		}
		// Skip what the handler left of the body, to reach the next
		// request; a body that cannot be read to its end leaves the stream
		// out of step.
		if _, err := io.Copy(io.Discard, req.Body); err != nil {
			return nil
		}
		req.Body.Close()
		if req.Close {
			return nil
		}
	}
	return nil
}

// serveOne answers req with h, reporting false when the handler aborted
// the answer with http.ErrAbortHandler (as it does over TCP to drop the
// connection).
func serveOne(h http.Handler, w http.ResponseWriter, req *http.Request) (ok bool) {
	defer func() {
		if v := recover(); v != nil {
			if v != http.ErrAbortHandler {
				panic(v)
			}
			ok = false
		}
	}()
	h.ServeHTTP(w, req)
	return true
}

// writeStdioError writes a last answer with status and msg.
func writeStdioError(bw *bufio.Writer, status int, msg string) error {
	fmt.Fprintf(bw, "HTTP/1.1 %d %s\r\nDate: %s\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: %d\r\n\r\n%s",
		status, http.StatusText(status), time.Now().UTC().Format(http.TimeFormat), len(msg), msg)
	return bw.Flush()
}

// headLimit is a reader that gives at most n bytes (while a request head
// is read), then reports the end.
type headLimit struct {
	r io.Reader
	n int64
}

func (l *headLimit) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}

func (l *headLimit) exhausted() bool { return l.n <= 0 }

// stdioResponse is the http.ResponseWriter of one request on stdio. With a
// Content-Length set before the first write, the body streams out;
// without, it is kept until the handler returns and then sent with its
// length.
type stdioResponse struct {
	w       *bufio.Writer
	req     *http.Request
	header  http.Header
	status  int   // 0 until WriteHeader
	sent    bool  // the head is written
	length  int64 // the Content-Length sent, -1 while unknown
	written int64 // body bytes written
	held    []byte
	err     error
}

func (s *stdioResponse) Header() http.Header { return s.header }

func (s *stdioResponse) WriteHeader(status int) {
	if s.status != 0 || status < 200 {
		return
	}
	s.status = status
	if n, err := strconv.ParseInt(s.header.Get("Content-Length"), 10, 64); err == nil && n >= 0 {
		s.length = n
		s.sendHead()
	}
}

func (s *stdioResponse) Write(p []byte) (int, error) {
	if s.status == 0 {
		s.WriteHeader(http.StatusOK)
	}
	if s.req.Method == http.MethodHead {
		return len(p), nil
	}
	if !s.sent {
		s.held = append(s.held, p...)
		return len(p), nil
	}
	if s.err != nil {
		return 0, s.err
	}
	if s.written+int64(len(p)) > s.length {
		return 0, http.ErrContentLength
	}
	n, err := s.w.Write(p)
	s.written += int64(n)
	s.err = err
	return n, err
}

// Flush sends what is buffered (http.ResponseController finds it).
func (s *stdioResponse) Flush() {
	if s.sent && s.err == nil {
		s.err = s.w.Flush()
	}
}

// sendHead writes the status line and the headers.
func (s *stdioResponse) sendHead() {
	s.sent = true
	// The session goes on after an answer given before its body was
	// read: the loop skips the body.
	s.header.Del("Connection")
	if s.header.Get("Date") == "" {
		s.header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	}
	if _, err := fmt.Fprintf(s.w, "HTTP/1.1 %d %s\r\n", s.status, http.StatusText(s.status)); err != nil {
		s.err = err
		return
	}
	if err := s.header.Write(s.w); err != nil {
		s.err = err
		return
	}
	_, s.err = io.WriteString(s.w, "\r\n")
}

// finish completes the response after the handler returned; an error
// means the stream is out of step and the session must end.
func (s *stdioResponse) finish() error {
	if s.status == 0 {
		s.WriteHeader(http.StatusOK)
	}
	if !s.sent {
		s.header.Set("Content-Length", strconv.Itoa(len(s.held)))
		s.length = int64(len(s.held))
		s.sendHead()
		if s.req.Method != http.MethodHead && s.err == nil {
			_, s.err = s.w.Write(s.held)
			s.written = s.length
		}
	}
	if s.err == nil && s.req.Method != http.MethodHead && s.written != s.length {
		s.err = fmt.Errorf("restserver: handler wrote %d bytes of a %d-byte body", s.written, s.length)
	}
	if s.err == nil {
		s.err = s.w.Flush()
	}
	return s.err
}
