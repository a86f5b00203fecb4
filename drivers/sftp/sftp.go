package sftp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/kvcompose/compose/internal/tmpsweep"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

// Defaults of the options.
const (
	DefaultTimeout   = 15 * time.Second
	DefaultKeepAlive = 15 * time.Second
	// DefaultRetries is none: the retry layer, which compose stacks over
	// remote drivers, owns retries (one owner per concern).
	DefaultRetries = 0
)

// Driver is a kv.Backend that keeps every item as a file below a base
// directory on an SFTP server. All calls share one SSH connection, which is
// made on Create, Open or Destroy and closed by Close.
type Driver struct {
	host string // as given: an alias of ~/.ssh/config or an address
	port string // "" for the config's or 22
	user string // "" for the config's or the local user
	base string // absolute, or relative to the login directory
	cfg  config

	lc   backendkit.Lifecycle
	link link
	// syncs counts the fsync requests sent, for tests.
	syncs atomic.Int64

	sweep *tmpsweep.Sweeper // removes stale temporaries while open
	left  leftovers         // removes the temporaries of failed stores
}

var (
	_ kv.Backend   = (*Driver)(nil)
	_ kv.Describer = (*Driver)(nil)
)

// config is what the Options set.
type config struct {
	client     *ssh.ClientConfig
	knownHosts string
	sshConfig  string
	dial       func(ctx context.Context, network, addr string) (net.Conn, error)
	timeout    time.Duration
	keepAlive  time.Duration
	retries    int
	logger     *slog.Logger
	sync       bool
	inFlight   int
}

// Option configures a Driver.
type Option func(*config)

// WithClientConfig makes the driver connect with cc as it is: its user,
// auth methods and host key callback replace those from ~/.ssh.
func WithClientConfig(cc *ssh.ClientConfig) Option { return func(c *config) { c.client = cc } }

// WithKnownHosts checks host keys against the known_hosts file path instead
// of ~/.ssh/known_hosts.
func WithKnownHosts(path string) Option { return func(c *config) { c.knownHosts = path } }

// WithSSHConfig reads host aliases, users, ports and identity files from
// the ssh_config file path instead of ~/.ssh/config ("none": from nowhere).
func WithSSHConfig(path string) Option { return func(c *config) { c.sshConfig = path } }

// WithDialer makes the driver open its TCP connections with dial.
func WithDialer(dial func(ctx context.Context, network, addr string) (net.Conn, error)) Option {
	return func(c *config) { c.dial = dial }
}

// WithTimeout limits connecting (TCP and SSH handshake) and the wait for a
// keepalive reply; a connection that does not answer in time is closed.
func WithTimeout(d time.Duration) Option { return func(c *config) { c.timeout = d } }

// WithKeepAlive sets the interval of keepalive requests (0: none).
func WithKeepAlive(d time.Duration) Option { return func(c *config) { c.keepAlive = d } }

// WithRetries sets how often a call that failed because the connection
// broke is retried on a new connection (default none: put the retry layer
// over the driver, as compose does, rather than retry in both).
func WithRetries(n int) Option { return func(c *config) { c.retries = n } }

// WithLogger makes the driver report its own events to logger: a
// connection made (Debug) or made again after one broke (Info), connecting
// that failed (Warn; Error for a refused host key or authentication, which
// no retry fixes), a keepalive not answered (Warn). Without it they are
// not reported; the calls' errors say what went wrong either way.
func WithLogger(logger *slog.Logger) Option { return func(c *config) { c.logger = logger } }

// New returns a closed driver for the store in the directory dir (absolute,
// or relative to the login directory) on host (an address or an alias of
// the ssh config); user and port may be empty. New does no I/O.
func New(host, port, user, dir string, opts ...Option) (*Driver, error) {
	d, why := newDriver(host, port, user, dir, opts)
	if why != "" {
		return nil, backendkit.NewError(kv.OpNew, dir, kv.ErrInvalidURL, errors.New(why))
	}
	return d, nil
}

// newDriver is New, which returns why the arguments are not valid.
func newDriver(host, port, user, dir string, opts []Option) (*Driver, string) {
	if host == "" {
		return nil, "no host"
	}
	if dir = path.Clean(dir); dir == "." || dir == "/" || dir == "" {
		return nil, "the store needs a directory of its own, not the login directory or /"
	}
	c := config{timeout: DefaultTimeout, keepAlive: DefaultKeepAlive, retries: DefaultRetries, inFlight: DefaultInFlight}
	for _, o := range opts {
		o(&c)
	}
	if c.logger == nil {
		c.logger = discard
	}
	return &Driver{host: host, port: port, user: user, base: dir, cfg: c}, ""
}

// FromURL returns a closed driver for a URL of the form
// sftp://[user@]host[:port]/relative/path (relative to the login directory)
// or sftp://[user@]host[:port]//absolute/path; user and path are
// percent-decoded, and the query sync=true adds WithSync(true). A malformed
// URL, or another query parameter, is a kv.ErrInvalidURL error that says
// what is wrong.
func FromURL(raw string, opts ...Option) (*Driver, error) {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return nil, backendkit.InvalidURL(raw, "%v", err)
	case u.Scheme != "sftp":
		return nil, backendkit.InvalidURL(raw, "scheme %q, want sftp://[user@]host[:port]/path", u.Scheme)
	case u.Opaque != "" || u.Host == "":
		return nil, backendkit.InvalidURL(raw, "no host, want sftp://[user@]host[:port]/path")
	case u.ForceQuery && u.RawQuery == "" || u.Fragment != "" || strings.HasSuffix(raw, "#"):
		return nil, backendkit.InvalidURL(raw, "empty query or a fragment, want sftp://[user@]host[:port]/path[?sync=true]")
	case u.Path == "" || u.Path == "/" || u.Path == "//":
		return nil, backendkit.InvalidURL(raw, "no path, want sftp://host/relative/path or sftp://host//absolute/path")
	}
	if _, pw := u.User.Password(); pw {
		return nil, backendkit.InvalidURL(raw, "a password in the URL is not supported; use keys or the ssh agent")
	}
	port := u.Port()
	if port != "" {
		if n, err := net.LookupPort("tcp", port); err != nil || n < 1 || n > 65535 {
			return nil, backendkit.InvalidURL(raw, "invalid port %q", port)
		}
	}
	sync, err := backendkit.SyncQuery(raw, u.RawQuery)
	if err != nil {
		return nil, err
	}
	if sync {
		opts = append(opts[:len(opts):len(opts)], WithSync(true))
	}
	dir := strings.TrimPrefix(u.Path, "/") // "//abs" -> "/abs", "/rel" -> "rel"
	d, why := newDriver(u.Hostname(), port, u.User.Username(), dir, opts)
	if why != "" {
		return nil, backendkit.InvalidURL(raw, "%s", why)
	}
	return d, nil
}

// Properties describes the driver: scheme "sftp", remote, and it benefits
// from pre-created directories (a Store then never waits for a mkdir). The
// address is the host as the URL gives it (an ~/.ssh/config alias is
// resolved only when connecting).
func (d *Driver) Properties() kv.Properties {
	port, _ := strconv.Atoi(d.port)
	return kv.Properties{Scheme: "sftp", Remote: true, Precreate: true, Address: d.host, Port: port}
}

// String describes the driver as its URL.
func (d *Driver) String() string {
	host := d.host
	if d.port != "" {
		host = net.JoinHostPort(d.host, d.port)
	}
	if d.user != "" {
		host = url.User(d.user).String() + "@" + host
	}
	s := "sftp://" + host + "/" + d.base
	if d.cfg.sync {
		s += "?sync=true"
	}
	return s
}

// path returns the remote path of the item name ("" is the base).
func (d *Driver) path(name string) string {
	if name == "" {
		return d.base
	}
	return d.base + "/" + name
}

// Create connects and makes the base directory and its missing parents.
// An existing empty directory is accepted; a non-empty one is kv.ErrExists.
func (d *Driver) Create(ctx context.Context) error {
	const op = kv.OpCreate
	return d.lc.Transition(ctx, kv.OpCreate, func() error {
		defer d.link.release()
		return d.do(ctx, op, "", func(c *client) error {
			if err := c.MkdirAll(d.base); err != nil {
				return err
			}
			entries, err := c.ReadDir(d.base)
			if err != nil {
				return err
			}
			for _, e := range entries {
				if !backendkit.IsStoreRecord(e.Name()) {
					return backendkit.NewError(op, "", kv.ErrExists, fmt.Errorf("%s is not empty", d.base))
				}
			}
			f, err := c.Create(d.path(backendkit.StoreRecord))
			if err != nil {
				return err
			}
			_, err = f.Write([]byte(backendkit.StoreRecordText))
			return errors.Join(err, f.Close())
		})
	})
}

// Destroy connects and removes the base directory and everything in it; a
// missing store is kv.ErrNoStore.
func (d *Driver) Destroy(ctx context.Context) error {
	const op = kv.OpDestroy
	return d.lc.Transition(ctx, kv.OpDestroy, func() error {
		defer d.link.release()
		return d.do(ctx, op, "", func(c *client) error {
			if err := d.checkStore(ctx, c, op); err != nil {
				return err
			}
			return c.RemoveAll(d.base)
		})
	})
}

// Open connects and opens the store; a missing base, or one that is not a
// directory, is kv.ErrNoStore, a directory that is not a store (backendkit.Recognize)
// kv.ErrNotAStore. With WithSync, a server that cannot sync files and
// directories is kv.ErrUnsupported. It starts a sweep in the background that
// removes the temporaries of killed writers once stale (see
// internal/tmpsweep); Close stops it.
func (d *Driver) Open(ctx context.Context) error {
	const op = kv.OpOpen
	return d.lc.Transition(ctx, kv.OpOpen, func() error {
		err := d.do(ctx, op, "", func(c *client) error {
			if err := d.checkStore(ctx, c, op); err != nil {
				return err
			}
			return d.checkSync(c, op)
		})
		if err != nil {
			d.link.release()
			return err
		}
		d.sweep = tmpsweep.Start(sweepFS{d}, time.Now())
		d.left.start()
		return nil
	})
}

// Close closes the store and its connection.
func (d *Driver) Close(ctx context.Context) error {
	return d.lc.Transition(ctx, kv.OpClose, func() error {
		d.sweep.Stop()
		d.left.stop()
		d.link.release()
		return nil
	})
}

// checkStore returns kv.ErrNoStore unless the base is a directory, and
// kv.ErrNotAStore unless it is a store (backendkit.Recognize).
func (d *Driver) checkStore(ctx context.Context, c *client, op kv.Op) error {
	if err := d.checkBase(c, op); err != nil {
		return err
	}
	return backendkit.Recognize(ctx, op, d.String(), func(_ context.Context, dir string) ([]backendkit.DirEntry, error) {
		entries, err := c.ReadDir(d.path(dir))
		if err != nil {
			return nil, backendkit.FSError(op, dir, err)
		}
		out := make([]backendkit.DirEntry, len(entries))
		for i, e := range entries {
			out[i] = backendkit.DirEntry{Name: e.Name(), Dir: e.IsDir()}
		}
		return out, nil
	})
}

// checkBase returns kv.ErrNoStore unless the base is a directory.
func (d *Driver) checkBase(c *client, op kv.Op) error {
	fi, err := c.Stat(d.base)
	switch {
	case isNotExist(err):
		return backendkit.NewError(op, "", kv.ErrNoStore, err)
	case err != nil:
		return err
	case !fi.IsDir():
		return backendkit.NewError(op, "", kv.ErrNoStore, fmt.Errorf("%s is not a directory", d.base))
	}
	return nil
}
