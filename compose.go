// Package compose opens a kvcompose store from a URL and stacks the layers
// the options ask for: tracing -> stats -> softdelete -> nesting -> throttle
// -> driver, outermost first.
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
	"github.com/kvcompose/compose/drivers/sftp"
	"github.com/kvcompose/compose/kv"
)

// Opener makes a driver from a URL of its scheme. It must do no I/O; errors
// wrap kv.ErrInvalidURL.
type Opener func(rawURL string) (kv.Backend, error)

var (
	registryMu sync.RWMutex
	registry   = map[string]Opener{
		"file":   func(u string) (kv.Backend, error) { return posixfs.FromURL(u) },
		"mem":    func(u string) (kv.Backend, error) { return memory.FromURL(u) },
		"sftp":   func(u string) (kv.Backend, error) { return sftp.FromURL(u) },
		"rclone": func(u string) (kv.Backend, error) { return rclone.FromURL(u) },
	}
)

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
	if _, dup := registry[scheme]; dup {
		panic("compose: Register called twice for scheme " + scheme)
	}
	registry[scheme] = open
}

// Schemes returns the registered URL schemes, sorted.
func Schemes() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	return slices.Sorted(maps.Keys(registry))
}

// Open returns the store at rawURL wrapped in the layers that opts ask for
// (see Wrap). It does no I/O. An unknown scheme or a malformed URL is an
// error wrapping kv.ErrInvalidURL that says what is wrong.
func Open(rawURL string, opts ...Option) (kv.Backend, error) {
	scheme, _, ok := strings.Cut(rawURL, ":")
	if !ok || scheme == "" {
		return nil, invalidURL(rawURL, "no scheme; want for example file:///abs/path, mem://name, sftp://host/path or rclone:remote:path")
	}
	scheme = strings.ToLower(scheme)
	if !validScheme(scheme) {
		return nil, invalidURL(rawURL, "invalid scheme "+strconv.Quote(scheme))
	}
	registryMu.RLock()
	open := registry[scheme]
	registryMu.RUnlock()
	if open == nil {
		return nil, invalidURL(rawURL, fmt.Sprintf("unknown scheme %q (registered: %s)", scheme, strings.Join(Schemes(), ", ")))
	}
	drv, err := open(rawURL)
	if err != nil {
		return nil, err
	}
	return Wrap(drv, opts...)
}

func invalidURL(rawURL, why string) error {
	return kv.NewError("open url", rawURL, kv.ErrInvalidURL, errors.New(why))
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
