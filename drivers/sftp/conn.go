package sftp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	pkgsftp "github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/kvcompose/compose/kv"
)

// client is the SFTP client of one connection.
type client = pkgsftp.Client

// conn is one SSH connection and its SFTP session. done is closed when the
// connection is closed, by us or because it broke.
type conn struct {
	ssh  *ssh.Client
	sftp *client
	done chan struct{}
	once sync.Once
}

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
				c.close()
				return
			}
		case <-wait.C:
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
	mu  sync.Mutex
	cur *conn
}

// get returns the live connection, dialling a new one when there is none.
// Concurrent callers wait for one dial.
func (l *link) get(ctx context.Context, d *Driver) (*conn, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if c := l.cur; c != nil && !c.closed() {
		return c, nil
	}
	c, err := d.dial(ctx)
	if err != nil {
		return nil, err
	}
	l.cur = c
	return c, nil
}

// drop closes c and forgets it, so that the next call dials anew.
func (l *link) drop(c *conn) {
	c.close()
	l.mu.Lock()
	if l.cur == c {
		l.cur = nil
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

// do runs f on the shared connection. When f fails because the connection
// broke, or connecting failed for a reason that may pass, it runs f again
// on a new connection, up to the configured retries, and then returns an
// error wrapping kv.ErrConnection. retried tells f whether an earlier try
// broke off. Cancelling ctx closes the connection f waits on and returns
// the context's error.
func (d *Driver) do(ctx context.Context, op kv.Op, name string, f func(c *client) error) error {
	return d.doRetried(ctx, op, name, func(c *client, _ bool) error { return f(c) })
}

func (d *Driver) doRetried(ctx context.Context, op kv.Op, name string, f func(c *client, retried bool) error) error {
	var last error
	for attempt := 0; attempt <= d.cfg.retries; attempt++ {
		if attempt > 0 {
			if err := sleep(ctx, time.Duration(attempt)*100*time.Millisecond); err != nil {
				return kv.NewError(op.String(), name, nil, err)
			}
		}
		if err := ctx.Err(); err != nil {
			return kv.NewError(op.String(), name, nil, err)
		}
		c, err := d.link.get(ctx, d)
		if err != nil {
			if ctx.Err() != nil {
				return kv.NewError(op.String(), name, nil, ctx.Err())
			}
			var p permanent
			if errors.As(err, &p) {
				return kv.NewError(op.String(), name, kv.ErrConnection, p.error)
			}
			last = err
			continue
		}
		stop := context.AfterFunc(ctx, func() { d.link.drop(c) })
		err = f(c.sftp, attempt > 0)
		if !stop() {
			return kv.NewError(op.String(), name, nil, ctx.Err())
		}
		if err == nil {
			return nil
		}
		if !broken(c, err) {
			return kv.FSError(op, name, err)
		}
		d.link.drop(c)
		last = err
	}
	return kv.NewError(op.String(), name, kv.ErrConnection, fmt.Errorf("%d tries: %w", d.cfg.retries+1, last))
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

// sleep waits for d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

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
	sftpc, err := pkgsftp.NewClient(sshc,
		pkgsftp.UseConcurrentWrites(true),
		pkgsftp.UseConcurrentReads(true),
		pkgsftp.MaxConcurrentRequestsPerFile(64))
	if err != nil {
		sshc.Close()
		return nil, fmt.Errorf("start sftp on %s: %w", addr, err)
	}
	return &conn{ssh: sshc, sftp: sftpc, done: make(chan struct{})}, nil
}
