package restserver

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"time"
)

// ServeStdio answers HTTP/1.1 requests read from r, one after the other,
// writing the responses to w, until r ends (or ctx does), as
// `borgstore-server-rest --stdio` does under ssh. When h is a *Handler, the
// store is closed before ServeStdio returns. Nothing else may write to w.
func ServeStdio(ctx context.Context, h http.Handler, r io.Reader, w io.Writer) error {
	c := newPipeConn(r, w)
	ln := &oneConnListener{conn: c}
	// The end of r is a half close: the client still reads the answers to
	// what it sent, so requests run with ctx, not with the connection's
	// context, which the end of r cancels.
	detached := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		h.ServeHTTP(w, req.WithContext(ctx))
	})
	srv := &http.Server{Handler: detached}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	var err error
	select {
	case err = <-errc:
	case <-ctx.Done():
		srv.Close()
		<-errc
	}
	if errors.Is(err, net.ErrClosed) || errors.Is(err, http.ErrServerClosed) {
		err = nil
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

// oneConnListener hands out one connection, then waits until it is closed.
type oneConnListener struct {
	conn *pipeConn
	once sync.Once
}

func (l *oneConnListener) Accept() (net.Conn, error) {
	var c net.Conn
	l.once.Do(func() { c = l.conn })
	if c != nil {
		return c, nil
	}
	<-l.conn.closed
	return nil, net.ErrClosed
}

func (l *oneConnListener) Close() error   { return l.conn.Close() }
func (l *oneConnListener) Addr() net.Addr { return stdioAddr{} }

// stdioAddr is the address of both ends of a pipeConn.
type stdioAddr struct{}

func (stdioAddr) Network() string { return "stdio" }
func (stdioAddr) String() string  { return "stdio" }

// pipeConn is a net.Conn over a reader and a writer, with read deadlines
// (the HTTP server needs them to cancel its background read) kept by a
// goroutine that reads ahead.
type pipeConn struct {
	w      io.Writer
	chunks chan []byte // from the reading goroutine; closed at the end of r
	rerr   error       // why r ended, set before chunks is closed
	buf    []byte      // the rest of the last chunk
	closed chan struct{}
	once   sync.Once

	mu       sync.Mutex
	deadline time.Time
	wake     chan struct{} // closed when the deadline changes
}

func newPipeConn(r io.Reader, w io.Writer) *pipeConn {
	c := &pipeConn{w: w, chunks: make(chan []byte), closed: make(chan struct{}), wake: make(chan struct{})}
	go c.readAhead(r)
	return c
}

func (c *pipeConn) readAhead(r io.Reader) {
	for {
		b := make([]byte, 64<<10)
		n, err := r.Read(b)
		if n > 0 {
			select {
			case c.chunks <- b[:n]:
			case <-c.closed:
				return
			}
		}
		if err != nil {
			c.rerr = err
			close(c.chunks)
			return
		}
	}
}

// Read is called by one goroutine at a time (the HTTP server's).
func (c *pipeConn) Read(p []byte) (int, error) {
	if len(c.buf) > 0 {
		n := copy(p, c.buf)
		c.buf = c.buf[n:]
		return n, nil
	}
	for {
		c.mu.Lock()
		deadline, wake := c.deadline, c.wake
		c.mu.Unlock()
		var expired <-chan time.Time
		if !deadline.IsZero() {
			d := time.Until(deadline)
			if d <= 0 {
				return 0, os.ErrDeadlineExceeded
			}
			t := time.NewTimer(d)
			defer t.Stop()
			expired = t.C
		}
		select {
		case b, ok := <-c.chunks:
			if !ok {
				if c.rerr == io.EOF {
					return 0, io.EOF
				}
				return 0, c.rerr
			}
			n := copy(p, b)
			c.buf = b[n:]
			return n, nil
		case <-expired:
			return 0, os.ErrDeadlineExceeded
		case <-wake:
		case <-c.closed:
			return 0, net.ErrClosed
		}
	}
}

func (c *pipeConn) Write(p []byte) (int, error) {
	select {
	case <-c.closed:
		return 0, net.ErrClosed
	default:
	}
	return c.w.Write(p)
}

func (c *pipeConn) Close() error {
	c.once.Do(func() { close(c.closed) })
	return nil
}

func (c *pipeConn) LocalAddr() net.Addr  { return stdioAddr{} }
func (c *pipeConn) RemoteAddr() net.Addr { return stdioAddr{} }

func (c *pipeConn) SetDeadline(t time.Time) error { return c.SetReadDeadline(t) }

func (c *pipeConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.deadline = t
	close(c.wake)
	c.wake = make(chan struct{})
	return nil
}

// SetWriteDeadline does nothing: a pipe write cannot be interrupted.
func (c *pipeConn) SetWriteDeadline(time.Time) error { return nil }
