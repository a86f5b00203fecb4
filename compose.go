// Package compose opens a kvcompose store from a URL and stacks the layers
// the options ask for, outermost first: tracing -> metrics -> logging ->
// stats -> softdelete -> nesting -> permissions -> quota -> cache -> retry
// -> throttle -> driver.
//
// Open does no I/O, like sql.Open: it picks the driver registered for the
// URL's scheme, validates the options and builds the stack. Create, Open,
// Close and Destroy on the returned kv.Backend do the I/O.
//
// The URL forms of the built-in drivers:
//
//	file:///absolute/path                      drivers/posixfs
//	mem://name                                 drivers/memory
//	sftp://[user@]host[:port]/relative/path    drivers/sftp
//	sftp://[user@]host[:port]//absolute/path   drivers/sftp
//	rclone:remote:path                         drivers/rclone
//	s3:[PROFILE@|KEY:SECRET@][SCHEME://HOST[:PORT]]/BUCKET/PATH   drivers/s3
//	b2:[PROFILE@|KEY:SECRET@][SCHEME://HOST[:PORT]]/BUCKET/PATH   drivers/s3
//	http[s]://[USER:PASS@]HOST[:PORT][/SUB/PATH]                  drivers/rest
//	rest://[USER@]HOST[:PORT]/PATH, rest:///PATH                   drivers/rest
//
// Register adds the driver of another scheme.
package compose

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/kvcompose/compose/drivers/memory"
	"github.com/kvcompose/compose/drivers/posixfs"
	"github.com/kvcompose/compose/drivers/rclone"
	"github.com/kvcompose/compose/drivers/rest"
	"github.com/kvcompose/compose/drivers/s3"
	"github.com/kvcompose/compose/drivers/sftp"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

// Opener makes a driver from a URL of its scheme. It must do no I/O; errors
// wrap kv.ErrInvalidURL.
type Opener func(rawURL string) (kv.Backend, error)

var (
	registryMu sync.RWMutex
	registry   = map[string]Opener{}
)

// builtins open the drivers of this module, with what the options give
// them (a logger for their own events).
// A driver that cannot make its calls durable refuses WithSync(true)
// (noSync); s3 and b2 take it as they are, since an acknowledged PUT is
// durable there.
var builtins = map[string]func(u string, c *config) (kv.Backend, error){
	"file": func(u string, c *config) (kv.Backend, error) {
		return posixfs.FromURL(u, posixfs.WithFsync(c.sync))
	},
	"mem": func(u string, c *config) (kv.Backend, error) {
		if c.sync {
			return nil, noSync(u, "a mem:// store lives in process memory and ends with the process")
		}
		return memory.FromURL(u)
	},
	"sftp": func(u string, c *config) (kv.Backend, error) {
		opts := []sftp.Option{sftp.WithSync(c.sync)}
		if c.logger != nil {
			opts = append(opts, sftp.WithLogger(c.logger))
		}
		return sftp.FromURL(u, opts...)
	},
	"rclone": func(u string, c *config) (kv.Backend, error) {
		if c.sync {
			return nil, noSync(u, "rclone offers no way to make a write durable")
		}
		if c.logger != nil {
			return rclone.FromURL(u, rclone.WithLogger(c.logger))
		}
		return rclone.FromURL(u)
	},
	"s3":    func(u string, _ *config) (kv.Backend, error) { return s3.FromURL(u) },
	"b2":    func(u string, _ *config) (kv.Backend, error) { return s3.FromURL(u) },
	"http":  restDriver,
	"https": restDriver,
	"rest":  restDriver,
}

// restDriver opens the driver of a REST URL.
func restDriver(u string, c *config) (kv.Backend, error) {
	if c.sync {
		return nil, noSync(u, "borgstore's REST protocol has no way to ask the server for a durable write")
	}
	return rest.FromURL(u)
}

// noSync is the error of WithSync(true) on a driver that cannot honour it.
func noSync(rawURL, why string) error {
	return backendkit.NewError(kv.OpParseURL, rawURL, kv.ErrUnsupported, errors.New("WithSync: "+why))
}

// Register makes a driver available to Open under scheme (lowercase
// letters, digits, "+", "-", "."). It panics if scheme is invalid, open is
// nil or the scheme is already registered, as database/sql.Register does.
func Register(scheme string, open Opener) {
	if !validScheme(scheme) {
		panic("compose: Register: invalid scheme " + strconv.Quote(scheme))
	}
	if open == nil {
		panic("compose: Register: nil Opener for scheme " + scheme)
	}
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[scheme]; dup || builtins[scheme] != nil {
		panic("compose: Register called twice for scheme " + scheme)
	}
	registry[scheme] = open
}

// Schemes returns the registered URL schemes, sorted.
func Schemes() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	return slices.Sorted(func(yield func(string) bool) {
		for k := range maps.Keys(builtins) {
			if !yield(k) {
				return
			}
		}
		for k := range maps.Keys(registry) {
			if !yield(k) {
				return
			}
		}
	})
}

// Open returns the store at rawURL wrapped in the layers that opts ask for
// (see Wrap). It does no I/O. An unknown scheme or a malformed URL is an
// error wrapping kv.ErrInvalidURL that says what is wrong.
func Open(rawURL string, opts ...Option) (kv.Backend, error) {
	c, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	drv, err := c.driver(rawURL)
	if err != nil {
		return nil, err
	}
	return c.wrap(drv)
}

// driver opens the driver of rawURL, without layers.
func (c *config) driver(rawURL string) (kv.Backend, error) {
	scheme, _, ok := strings.Cut(rawURL, ":")
	if !ok || scheme == "" {
		return nil, invalidURL(rawURL, "no scheme; want for example file:///abs/path, mem://name, sftp://host/path, s3:/bucket/path or rclone:remote:path")
	}
	scheme = strings.ToLower(scheme)
	if !validScheme(scheme) {
		return nil, invalidURL(rawURL, "invalid scheme "+strconv.Quote(scheme))
	}
	if b := builtins[scheme]; b != nil {
		return b(rawURL, c)
	}
	registryMu.RLock()
	open := registry[scheme]
	registryMu.RUnlock()
	if open == nil {
		return nil, invalidURL(rawURL, fmt.Sprintf("unknown scheme %q (registered: %s)", scheme, strings.Join(Schemes(), ", ")))
	}
	if c.sync {
		return nil, noSync(rawURL, "a registered Opener takes no sync option; configure the driver and use Wrap")
	}
	return open(rawURL)
}

func invalidURL(rawURL, why string) error {
	return backendkit.NewError(kv.OpParseURL, rawURL, kv.ErrInvalidURL, errors.New(why))
}

func validScheme(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}
