// Package compose opens a kvcompose store from a URL and stacks the layers
// the options ask for, outermost first: tracing -> metrics -> logging ->
// stats -> softdelete -> nesting -> permissions -> quota -> cache -> retry
// -> throttle -> driver.
//
// Open does no I/O, like sql.Open: it picks the driver registered for the
// URL's scheme, validates the options and builds the stack. Create, Open,
// Close and Destroy on the returned kv.Backend do the I/O.
//
// The URL forms of the drivers of this module, and the package that
// registers each (see Register):
//
//	file:///absolute/path                      drivers/posixfs (no import needed)
//	mem://name                                 drivers/memory  (no import needed)
//	sftp://[user@]host[:port]/relative/path    drivers/sftp
//	sftp://[user@]host[:port]//absolute/path   drivers/sftp
//	rclone:remote:path                         drivers/rclone
//	s3:[PROFILE@|KEY:SECRET@][SCHEME://HOST[:PORT]]/BUCKET/PATH   drivers/s3
//	b2:[PROFILE@|KEY:SECRET@][SCHEME://HOST[:PORT]]/BUCKET/PATH   drivers/s3
//	http[s]://[USER:PASS@]HOST[:PORT][/SUB/PATH]                  drivers/rest
//	rest://[USER@]HOST[:PORT]/PATH, rest:///PATH                   drivers/rest
//
// A driver package registers its schemes when it is imported, so a
// program links only the drivers it imports. This package imports
// drivers/posixfs and drivers/memory itself: file:// and mem:// need no
// import. Any other scheme needs its driver package, if need be only for
// its side effect, or drivers/all for every driver of the module:
//
//	import _ "github.com/kvcompose/compose/drivers/s3"  // s3: and b2:
//	import _ "github.com/kvcompose/compose/drivers/all" // every scheme
//
// Open names the missing import when a scheme of the module is not linked.
// Register adds the driver of another scheme.
package compose

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	// The drivers of file:// and mem://, which need no import by the
	// program; every other driver registers itself when the program
	// imports it.
	_ "github.com/kvcompose/compose/drivers/memory"
	_ "github.com/kvcompose/compose/drivers/posixfs"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

// Opener makes the driver of a URL of its scheme, with what the options of
// Open give it (backendkit.OpenConfig: WithSync, WithLogger). It does no
// I/O; errors wrap kv.ErrInvalidURL. An Opener whose driver cannot honour
// OpenConfig.Sync returns an error wrapping kv.ErrUnsupported
// (backendkit.NoSync).
type Opener = backendkit.Opener

// Register makes open the Opener of URLs of scheme (a lowercase letter,
// then lowercase letters, digits, "+", "-", "."), for Open. It is
// backendkit.RegisterScheme, which driver packages call when imported;
// call it from an init function. It panics if scheme is invalid, open is
// nil or the scheme is registered already, as database/sql.Register does.
func Register(scheme string, open Opener) {
	backendkit.RegisterScheme(scheme, open)
}

// Schemes returns the URL schemes Open takes in this program, sorted: file
// and mem, those of the driver packages the program imports, and those of
// Register.
func Schemes() []string {
	return backendkit.RegisteredSchemes()
}

// Open returns the store at rawURL wrapped in the layers that opts ask for
// (see Wrap). It does no I/O. An unknown scheme or a malformed URL is an
// error wrapping kv.ErrInvalidURL that says what is wrong; for a scheme of
// this module whose driver the program does not import, it names the
// import.
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
	if !backendkit.ValidScheme(scheme) {
		return nil, invalidURL(rawURL, "invalid scheme "+strconv.Quote(scheme))
	}
	open, ok := backendkit.LookupScheme(scheme)
	if !ok {
		return nil, unregistered(rawURL, scheme)
	}
	return open(rawURL, backendkit.OpenConfig{Sync: c.sync, Logger: c.logger})
}

// unregistered is the error of Open for a scheme no driver is registered
// for: it names the import that registers a scheme of this module, and
// lists the registered schemes for any other.
func unregistered(rawURL, scheme string) error {
	if pkg := driverPackage(scheme); pkg != "" {
		return invalidURL(rawURL, fmt.Sprintf("import %s/drivers/%s to open %s: URLs (or import %s/drivers/all)", modulePath, pkg, scheme, modulePath))
	}
	return invalidURL(rawURL, fmt.Sprintf("unknown scheme %q (registered: %s)", scheme, strings.Join(Schemes(), ", ")))
}

// modulePath is the import path of this module.
const modulePath = "github.com/kvcompose/compose"

// driverPackage returns the name of the package of this module under
// drivers/ that registers scheme, or "" if none does (file and mem are
// always registered: this package imports their drivers).
func driverPackage(scheme string) string {
	switch scheme {
	case "sftp", "rclone":
		return scheme
	case "s3", "b2":
		return "s3"
	case "http", "https", "rest":
		return "rest"
	}
	return ""
}

func invalidURL(rawURL, why string) error {
	return backendkit.NewError(kv.OpParseURL, rawURL, kv.ErrInvalidURL, errors.New(why))
}
