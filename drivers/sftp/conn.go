package sftp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	pkgsftp "github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/kvcompose/compose/internal/backoff"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

// client is the SFTP client of one connection: pkg/sftp's, and the wire
// under it, on which the driver sends its own pipelined requests.
type client struct {
	*pkgsftp.Client
	wire *wire
	conn *conn // the connection it runs on
}

// conn is one SSH connection and its SFTP session. done is closed when the
// connection is closed, by us or because it broke.
type conn struct {
	ssh  *ssh.Client
	sftp *client
	done chan struct{}
	once sync.Once
	log  *slog.Logger
	// cancelled is set when a cancelled call closed the connection, which
	// then did not break on the link.
	cancelled atomic.Bool
}

// discard is the logger of a driver without WithLogger.
var discard = slog.New(slog.DiscardHandler)

func (c *conn) close() {
	c.once.Do(func() {
		close(c.done)
		// The SSH connection first: closing the SFTP session waits for
		// its reader, which only a closed connection ends on a hung link.
		c.ssh.Close()
		c.sftp.Close()
	})
}

func (c *conn) closed() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// keepalive sends a keepalive request every interval and closes the
// connection when one is not answered within timeout.
func (c *conn) keepalive(every, timeout time.Duration) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-tick.C:
		}
		reply := make(chan error, 1)
		go func() {
			_, _, err := c.ssh.SendRequest("keepalive@openssh.com", true, nil)
			reply <- err
		}()
		wait := time.NewTimer(timeout)
		select {
		case err := <-reply:
			wait.Stop()
			if err != nil {
				c.log.Warn("sftp: keepalive failed, closing the connection", "error", err)
				c.close()
				return
			}
		case <-wait.C:
			c.log.Warn("sftp: keepalive not answered, closing the connection", "timeout", timeout)
			c.close()
			return
		case <-c.done:
			wait.Stop()
			return
		}
	}
}

// link holds the connection that the calls of a Driver share.
type link struct {
	mu     sync.Mutex
	cur    *conn
	broken bool // the last connection broke (not closed by release)
}

// get returns the live connection, dialling a new one when there is none.
// Concurrent callers wait for one dial.
func (l *link) get(ctx context.Context, d *Driver) (*conn, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if c := l.cur; c != nil && !c.closed() {
		return c, nil
	}
	if l.cur != nil {
		l.broken = true
	}
	log := d.log()
	c, err := d.dial(ctx)
	var p permanent
	switch {
	case errors.As(err, &p):
		log.Error("sftp: cannot connect", "error", err)
	case err != nil && ctx.Err() == nil:
		log.Warn("sftp: connecting failed", "error", err)
	case err == nil && l.broken:
		log.Info("sftp: connected again after the connection broke or a cancelled call closed it")
	case err == nil:
		log.Debug("sftp: connected")
	}
	if err != nil {
		return nil, err
	}
	l.cur, l.broken = c, false
	return c, nil
}

// drop closes c and forgets it, so that the next call dials anew.
func (l *link) drop(c *conn) {
	c.close()
	l.mu.Lock()
	if l.cur == c {
		l.cur, l.broken = nil, true
	}
	l.mu.Unlock()
}

// release closes the connection, if any.
func (l *link) release() {
	l.mu.Lock()
	c := l.cur
	l.cur = nil
	l.mu.Unlock()
	if c != nil {
		c.close()
	}
}

// permanent marks a connect error that a retry cannot fix: a refused host
// key, failed authentication.
type permanent struct{ error }

func (p permanent) Unwrap() error { return p.error }

// do runs f on the shared connection, connecting first when there is
// none or the last one broke. When f fails because the connection broke,
// or connecting failed for a reason that may pass, it runs f again on a new
// connection up to the configured retries (none by default: the retry
// layer above owns retries), and then returns an error wrapping
// kv.ErrConnection. A call whose connection another call's cancellation
// closed is run again on a new connection, without counting as a retry.
// retried tells f whether an earlier try broke off. Cancelling ctx closes
// the connection f waits on and returns the context's error.
func (d *Driver) do(ctx context.Context, op kv.Op, name string, f func(c *client) error) error {
	return d.doRetried(ctx, op, name, func(c *client, _ bool) error { return f(c) })
}

// maxCancelled bounds the tries of a call whose connections other calls'
// cancellations keep closing.
const maxCancelled = 3

func (d *Driver) doRetried(ctx context.Context, op kv.Op, name string, f func(c *client, retried bool) error) error {
	p := reconnect
	p.MaxTries = max(d.cfg.retries, 0) + 1
	s := p.Start()
	cancelled := 0
	for {
		again, err := d.try(ctx, op, name, s.Tries() > 1 || cancelled > 0, f)
		if !again {
			return err
		}
		if errors.Is(err, errCancelled) && cancelled < maxCancelled {
			cancelled++
			continue
		}
		switch werr := s.Wait(ctx); {
		case errors.Is(werr, backoff.ErrExhausted):
			if n := s.Tries() + cancelled; n > 1 {
				err = fmt.Errorf("%d tries: %w", n, err)
			}
			return backendkit.NewError(op, name, kv.ErrConnection, err)
		case werr != nil:
			return backendkit.NewError(op, name, nil, werr)
		}
	}
}

// errCancelled is the cause of a try whose connection another call's
// cancellation closed.
var errCancelled = errors.New("another call was cancelled and closed the connection")

// reconnect is the schedule of the tries of doRetried: 100 ms before the
// first retry, 200 ms before the second, 300 ms before each further one.
var reconnect = backoff.Policy{Initial: 100 * time.Millisecond, Max: 300 * time.Millisecond}

// try is one try of doRetried: it returns whether the call may be tried
// again on a new connection (err is then the cause, not wrapped), and the
// call's error.
func (d *Driver) try(ctx context.Context, op kv.Op, name string, retried bool, f func(c *client, retried bool) error) (again bool, err error) {
	if err := ctx.Err(); err != nil {
		return false, backendkit.NewError(op, name, nil, err)
	}
	c, err := d.link.get(ctx, d)
	if err != nil {
		if ctx.Err() != nil {
			return false, backendkit.NewError(op, name, nil, ctx.Err())
		}
		var p permanent
		if errors.As(err, &p) {
			// A refused host key or login is a permission error, a setup
			// error of this side has no sentinel: neither is a connection
			// failure that a retry could fix.
			var kind error
			if refused(p.error) {
				kind = kv.ErrPermission
			}
			return false, backendkit.NewError(op, name, kind, p.error)
		}
		return true, err
	}
	stop := context.AfterFunc(ctx, func() {
		c.cancelled.Store(true)
		d.link.drop(c)
	})
	err = f(c.sftp, retried)
	if !stop() {
		return false, backendkit.NewError(op, name, nil, ctx.Err())
	}
	if err == nil {
		return false, nil
	}
	var s settled
	if errors.As(err, &s) {
		return false, s.error
	}
	if !broken(c, err) {
		return false, backendkit.FSError(op, name, err)
	}
	d.link.drop(c)
	if c.cancelled.Load() {
		return true, fmt.Errorf("%w: %w", errCancelled, err)
	}
	return true, err
}

// broken reports whether err means that the connection c broke, rather
// than an answer of the server: pkg/sftp says so for the calls waiting on
// it, and a call that tried to send on a closed connection gets EOF.
func broken(c *conn, err error) bool {
	var netErr net.Error
	return c.closed() ||
		errors.Is(err, pkgsftp.ErrSSHFxConnectionLost) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.As(err, &netErr)
}

// log returns the driver's logger for its events.
func (d *Driver) log() *slog.Logger { return d.cfg.logger.With("server", d.host) }

// dial connects to the server and starts the SFTP session.
func (d *Driver) dial(ctx context.Context) (*conn, error) {
	addr, cc, err := d.clientConfig()
	if err != nil {
		return nil, permanent{err}
	}
	ctx, cancel := context.WithTimeout(ctx, d.cfg.timeout)
	defer cancel()
	dial := d.cfg.dial
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	nc, err := dial(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	// A handshake or session start that does not finish in time, or whose
	// caller gives up, ends by closing the TCP connection under it.
	stop := context.AfterFunc(ctx, func() { nc.Close() })
	c, err := handshake(nc, addr, cc)
	if !stop() && err == nil {
		c.close()
		err = ctx.Err()
	}
	if err != nil {
		nc.Close()
		if refused(err) {
			return nil, permanent{err}
		}
		return nil, err
	}
	c.log = d.log()
	go func() {
		c.ssh.Wait()
		c.close()
	}()
	if d.cfg.keepAlive > 0 {
		go c.keepalive(d.cfg.keepAlive, d.cfg.timeout)
	}
	return c, nil
}

// handshake runs the SSH handshake on nc and starts the SFTP subsystem.
func handshake(nc net.Conn, addr string, cc *ssh.ClientConfig) (*conn, error) {
	sc, chans, reqs, err := ssh.NewClientConn(nc, addr, cc)
	if err != nil {
		return nil, err
	}
	sshc := ssh.NewClient(sc, chans, reqs)
	w, err := subsystem(sshc)
	if err != nil {
		sshc.Close()
		return nil, fmt.Errorf("start sftp on %s: %w", addr, err)
	}
	sftpc, err := pkgsftp.NewClientPipe(w, w,
		pkgsftp.UseConcurrentWrites(true),
		pkgsftp.UseConcurrentReads(true),
		pkgsftp.MaxConcurrentRequestsPerFile(64))
	if err != nil {
		sshc.Close()
		return nil, fmt.Errorf("start sftp on %s: %w", addr, err)
	}
	c := &conn{ssh: sshc, sftp: &client{Client: sftpc, wire: w}, done: make(chan struct{})}
	c.sftp.conn = c
	return c, nil
}

// subsystem starts the SFTP subsystem in a new session of sshc and returns
// the wire over its pipes; its standard error is read and dropped.
func subsystem(sshc *ssh.Client) (*wire, error) {
	s, err := sshc.NewSession()
	if err != nil {
		return nil, err
	}
	pw, err := s.StdinPipe()
	if err != nil {
		return nil, err
	}
	pr, err := s.StdoutPipe()
	if err != nil {
		return nil, err
	}
	perr, err := s.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := s.RequestSubsystem("sftp"); err != nil {
		return nil, err
	}
	go io.Copy(io.Discard, perr)
	return newWire(pr, pw), nil
}
