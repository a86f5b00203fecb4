// Package rest is the kv driver of borgstore's REST protocol: it reaches a
// store served by `kvcompose serve` or by borgstore's own
// `borgstore-server-rest`, over HTTP(S), or over ssh with HTTP/1.1 on the
// server's stdin and stdout.
//
// The URL forms are borgstore's:
//
//	http[s]://[USER:PASS@]HOST[:PORT][/SUB/PATH]
//	rest://[USER@]HOST[:PORT]/PATH      ssh HOST SERVER --stdio --backend FILE:PATH
//	rest:///PATH                         SERVER --stdio --backend FILE:PATH, locally
//
// Without credentials in an http(s) URL, BORGSTORE_REST_USERNAME and
// BORGSTORE_REST_PASSWORD give them. For rest URLs, PATH is what follows the
// slash after the host: relative to the login (or current) directory, or
// absolute when it starts with another slash; BORGSTORE_RSH replaces
// "ssh -o ServerAliveInterval=30 -o ServerAliveCountMax=3 [-p PORT]", and
// SERVER is borgstore-server-rest unless WithServerCommand says otherwise.
//
// The driver trusts the server no further than it must. It follows no
// redirect: a 3xx is kv.ErrProtocol, naming the status and the Location.
// Every exchange runs under a watchdog, whatever the context's deadline:
// sending the request and receiving the answer may stall for at most
// WithStallTimeout, and the server has WithResponseTimeout to begin its
// answer; past either, the call is kv.ErrConnection. A body is read as it
// arrives, with no more allocated ahead than WithReadAhead, the range
// asked or the announced length; more bytes than the range asked, and
// answers that do not parse, are kv.ErrProtocol.
//
// The driver sends each call once and reports a failed connection as
// kv.ErrConnection: retrying is the retry layer's (layers/retry), which
// compose.Open puts above every remote driver. Over stdio, a server
// process that ended or was stopped is replaced at the next call.
//
// Importing the package registers the schemes http, https and rest for
// compose.Open:
//
//	import _ "github.com/kvcompose/compose/drivers/rest"
package rest

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/kvcompose/compose/internal/shellwords"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

// Defaults of the options.
const (
	DefaultServerCommand = "borgstore-server-rest"
	DefaultTimeout       = 30 * time.Second
	// DefaultResponseTimeout is how long a server may take to start
	// answering once the request is sent (a hash of a large item takes a
	// while).
	DefaultResponseTimeout = 5 * time.Minute
	// DefaultStallTimeout is how long sending a request or receiving an
	// answer may make no progress.
	DefaultStallTimeout = time.Minute
	// DefaultReadAhead is the most memory taken for the body of an answer
	// before its bytes arrive.
	DefaultReadAhead = 1 << 20
	// DefaultMaxConns is the number of keep-alive connections kept per
	// server.
	DefaultMaxConns = 32
)

// Driver is a kv.Backend that speaks borgstore's REST protocol with a
// server. It is safe for concurrent use: over HTTP the calls share a pool
// of keep-alive connections, over stdio they take turns on the one process.
type Driver struct {
	scheme string   // http, https or rest
	base   string   // the URL the item names are appended to, without a trailing "/"
	host   string   // for Properties and String
	port   int      // 0 when the URL gives none
	user   string   // Basic auth, with pass; "" for none
	pass   string   //
	argv   []string // rest: the command that runs the server
	cfg    config

	lc backendkit.Lifecycle
	tr transport
}

var (
	_ kv.Backend   = (*Driver)(nil)
	_ kv.Describer = (*Driver)(nil)
)

// config is what the Options set.
type config struct {
	server          string
	tls             *tls.Config
	timeout         time.Duration
	responseTimeout time.Duration
	stallTimeout    time.Duration
	readAhead       int
	maxConns        int
	tp              trace.TracerProvider          // propagate.go
	prop            propagation.TextMapPropagator // propagate.go
}

// Option configures a Driver.
type Option func(*config)

// WithServerCommand sets the command that rest URLs run as the server,
// split like a shell would (quotes, backslashes), for example
// "kvcompose serve"; "--stdio --backend FILE:PATH" is appended.
func WithServerCommand(cmd string) Option { return func(c *config) { c.server = cmd } }

// WithTLSConfig makes https connections use cfg (its root CAs, client
// certificates).
func WithTLSConfig(cfg *tls.Config) Option { return func(c *config) { c.tls = cfg } }

// WithTimeout limits connecting (TCP and TLS) and the wait for a stdio
// server to end (DefaultTimeout).
func WithTimeout(d time.Duration) Option { return func(c *config) { c.timeout = d } }

// WithResponseTimeout limits the wait for the beginning of an answer once
// the request is sent (DefaultResponseTimeout); past it, the call fails
// with kv.ErrConnection.
func WithResponseTimeout(d time.Duration) Option { return func(c *config) { c.responseTimeout = d } }

// WithStallTimeout limits how long sending a request or receiving an
// answer may make no progress, with or without a deadline on the call's
// context (DefaultStallTimeout); past it, the call fails with
// kv.ErrConnection.
func WithStallTimeout(d time.Duration) Option { return func(c *config) { c.stallTimeout = d } }

// WithReadAhead sets the most memory taken for the body of an answer
// before its bytes arrive (DefaultReadAhead): a larger body grows the
// buffer as it arrives, so that a server that announces more than it
// sends costs no more than this.
func WithReadAhead(n int) Option { return func(c *config) { c.readAhead = n } }

// WithMaxConns sets the number of keep-alive HTTP connections kept
// (DefaultMaxConns).
func WithMaxConns(n int) Option { return func(c *config) { c.maxConns = n } }

// restURL is borgstore's rest URL: rest://[user@]host[:port]/path, host
// empty for a local server, an IPv6 address in brackets.
var restURL = regexp.MustCompile(`^rest://(?:(?:([^@:/]+)@)?([^:/\[\]]+|\[[0-9a-fA-F:.]+\])(?::(\d+))?)?/([^?#]+)$`)

// FromURL returns a closed driver for an http, https or rest URL (see the
// package documentation). It does no I/O; a malformed URL is a
// kv.ErrInvalidURL error that says what is wrong.
func FromURL(raw string, opts ...Option) (*Driver, error) {
	c := config{server: DefaultServerCommand, timeout: DefaultTimeout, responseTimeout: DefaultResponseTimeout,
		stallTimeout: DefaultStallTimeout, readAhead: DefaultReadAhead, maxConns: DefaultMaxConns}
	for _, o := range opts {
		o(&c)
	}
	if c.responseTimeout <= 0 {
		c.responseTimeout = DefaultResponseTimeout
	}
	if c.stallTimeout <= 0 {
		c.stallTimeout = DefaultStallTimeout
	}
	scheme, _, _ := strings.Cut(raw, ":")
	switch strings.ToLower(scheme) {
	case "http", "https":
		return fromHTTPURL(raw, c)
	case "rest":
		return fromRestURL(raw, c)
	}
	return nil, backendkit.InvalidURL(raw, "scheme %q, want http, https or rest", scheme)
}

func fromHTTPURL(raw string, c config) (*Driver, error) {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return nil, backendkit.InvalidURL(raw, "%v", err)
	case u.Host == "" || u.Hostname() == "":
		return nil, backendkit.InvalidURL(raw, "no host, want %s://[user:pass@]host[:port][/sub/path]", u.Scheme)
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return nil, backendkit.InvalidURL(raw, "query or fragment, want %s://[user:pass@]host[:port][/sub/path]", u.Scheme)
	}
	d := &Driver{scheme: strings.ToLower(u.Scheme), host: u.Hostname(), cfg: c}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return nil, backendkit.InvalidURL(raw, "invalid port %q", p)
		}
		d.port = n
	}
	pass, hasPass := u.User.Password()
	if user := u.User.Username(); user != "" && hasPass && pass != "" {
		d.user, d.pass = user, pass
	} else {
		d.user, d.pass = os.Getenv("BORGSTORE_REST_USERNAME"), os.Getenv("BORGSTORE_REST_PASSWORD")
	}
	base := url.URL{Scheme: d.scheme, Host: u.Host, Path: u.Path, RawPath: u.RawPath}
	d.base = strings.TrimRight(base.String(), "/")
	d.tr = traceTransport(newHTTPTransport(&d.cfg), &d.cfg)
	return d, nil
}

func fromRestURL(raw string, c config) (*Driver, error) {
	m := restURL.FindStringSubmatch(raw)
	if m == nil {
		return nil, backendkit.InvalidURL(raw, "want rest://[user@]host[:port]/path or rest:///path")
	}
	user, host, port, dir := m[1], m[2], m[3], m[4]
	d := &Driver{scheme: "rest", base: "http://stdio-backend", host: host, cfg: c}
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return nil, backendkit.InvalidURL(raw, "invalid port %q", port)
		}
		d.port = n
	}
	server, err := shellwords.Split(c.server)
	if err != nil || len(server) == 0 {
		return nil, backendkit.InvalidURL(raw, "server command %q: %v", c.server, err)
	}
	if host != "" {
		rsh := []string{"ssh", "-o", "ServerAliveInterval=30", "-o", "ServerAliveCountMax=3"}
		if port != "" {
			rsh = append(rsh, "-p", port)
		}
		if env := os.Getenv("BORGSTORE_RSH"); env != "" {
			if rsh, err = shellwords.Split(env); err != nil || len(rsh) == 0 {
				return nil, backendkit.InvalidURL(raw, "BORGSTORE_RSH %q: %v", env, err)
			}
		}
		target := host
		if user != "" {
			target = user + "@" + host
		}
		d.argv = append(rsh, target)
	}
	d.argv = append(append(d.argv, server...), "--stdio", "--backend", "FILE:"+dir)
	d.tr = traceTransport(newStdioTransport(d.argv, &d.cfg), &d.cfg)
	return d, nil
}

// Properties describes the driver: scheme "http", "https" or "rest",
// remote, no pre-creation (the server's store creates directories on
// demand, and a pre-creation would cost one request per directory), and
// the server's host and port (the ssh host for rest, "" for a local
// server).
func (d *Driver) Properties() kv.Properties {
	port := d.port
	if port == 0 && d.host != "" {
		port = map[string]int{"http": 80, "https": 443, "rest": 22}[d.scheme]
	}
	host := strings.TrimSuffix(strings.TrimPrefix(d.host, "["), "]")
	return kv.Properties{Scheme: d.scheme, Remote: true, Address: host, Port: port}
}

// Command returns the command line a rest URL runs, nil for http(s).
func (d *Driver) Command() []string { return append([]string(nil), d.argv...) }

// String describes the driver as its URL, without the password.
func (d *Driver) String() string {
	if d.scheme == "rest" {
		return "rest: " + strings.Join(d.argv, " ")
	}
	return d.base
}

// hostPort is the address of the server for errors.
func (d *Driver) hostPort() string {
	if d.port == 0 {
		return d.host
	}
	return net.JoinHostPort(d.host, strconv.Itoa(d.port))
}

// Create makes the store on the server (POST /?cmd=create).
func (d *Driver) Create(ctx context.Context) error {
	return d.lc.Transition(ctx, kv.OpCreate, func() error {
		defer d.tr.release()
		_, err := d.call(ctx, kv.OpCreate, "", post("", query("cmd", "create"), nil))
		return err
	})
}

// Destroy removes the store on the server (DELETE /?cmd=destroy); a
// missing store is kv.ErrNoStore.
func (d *Driver) Destroy(ctx context.Context) error {
	return d.lc.Transition(ctx, kv.OpDestroy, func() error {
		defer d.tr.release()
		_, err := d.call(ctx, kv.OpDestroy, "", del("", query("cmd", "destroy")))
		return err
	})
}

// Open checks that the store exists (HEAD /, or GET / from a borgstore
// server that does not answer HEAD /, and for the message of a failure)
// and opens it; a missing store is kv.ErrNoStore, a directory that the
// server's backend does not take for a store kv.ErrNotAStore.
func (d *Driver) Open(ctx context.Context) error {
	return d.lc.Transition(ctx, kv.OpOpen, func() error {
		resp, err := d.call(ctx, kv.OpOpen, "", head(""))
		if err != nil && resp != nil && (resp.status == http.StatusBadRequest || resp.status == http.StatusInternalServerError) {
			// A borgstore server that does not answer HEAD /, or an error
			// whose message a HEAD answer has no body for (not a store).
			_, err = d.call(ctx, kv.OpOpen, "", get("/", nil, -1))
		}
		if err != nil {
			d.tr.release()
			if errors.Is(err, kv.ErrNotFound) {
				err = backendkit.NewError(kv.OpOpen, "", kv.ErrNoStore, err)
			}
		}
		return err
	})
}

// Close closes the store and its connections (or server process).
func (d *Driver) Close(ctx context.Context) error {
	return d.lc.Transition(ctx, kv.OpClose, func() error {
		d.tr.release()
		return nil
	})
}
