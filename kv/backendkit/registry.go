package backendkit

import (
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"sync"

	"github.com/kvcompose/compose/kv"
)

// OpenConfig is what compose.Open hands an Opener besides the URL: the
// options of the stack that reach the driver itself.
type OpenConfig struct {
	// Sync asks for every acknowledged write to be durable when the call
	// returns (compose.WithSync). An Opener whose driver cannot honour it
	// returns an error wrapping kv.ErrUnsupported (see NoSync), never a
	// driver that quietly ignores it.
	Sync bool
	// Logger, if not nil, receives the driver's own events
	// (compose.WithLogger).
	Logger *slog.Logger
}

// Opener makes the driver of a URL of its scheme. It does no I/O (the
// returned kv.Backend's Create and Open do); a malformed URL is an error
// wrapping kv.ErrInvalidURL (see InvalidURL).
type Opener func(rawURL string, cfg OpenConfig) (kv.Backend, error)

// schemes is a set of Openers by URL scheme, safe for concurrent use.
type schemes struct {
	mu     sync.RWMutex
	byName map[string]Opener
}

// registered holds the schemes of RegisterScheme: the only global state of
// the module.
var registered schemes

// RegisterScheme makes open the Opener of URLs whose scheme is scheme, for
// compose.Open. A driver package calls it from an init function, so that
// importing the package (if need be only for its side effect,
// import _ "...") is what makes its schemes available.
//
// A scheme is a lowercase letter followed by lowercase letters, digits,
// "+", "-" or "."; compose.Open lowercases the scheme of a URL before the
// lookup. RegisterScheme panics if scheme is invalid, open is nil or
// scheme is registered already, as database/sql.Register does.
func RegisterScheme(scheme string, open Opener) {
	registered.register(scheme, open)
}

// LookupScheme returns the Opener registered for scheme, and whether there
// is one.
func LookupScheme(scheme string) (Opener, bool) {
	return registered.lookup(scheme)
}

// RegisteredSchemes returns the registered URL schemes, sorted.
func RegisteredSchemes() []string {
	return registered.list()
}

// ValidScheme reports whether s may be registered as a URL scheme: a
// lowercase letter followed by lowercase letters, digits, "+", "-" or ".".
func ValidScheme(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// NoSync returns the error of an Opener asked for OpenConfig.Sync by a
// caller when its driver cannot make a write durable; why says so. It
// wraps kv.ErrUnsupported.
func NoSync(rawURL, why string) error {
	return NewError(kv.OpParseURL, rawURL, kv.ErrUnsupported, errors.New("WithSync: "+why))
}

func (r *schemes) register(scheme string, open Opener) {
	if !ValidScheme(scheme) {
		panic("backendkit: RegisterScheme: invalid scheme " + strconv.Quote(scheme))
	}
	if open == nil {
		panic("backendkit: RegisterScheme: nil Opener for scheme " + scheme)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.byName[scheme]; dup {
		panic("backendkit: RegisterScheme called twice for scheme " + scheme)
	}
	if r.byName == nil {
		r.byName = map[string]Opener{}
	}
	r.byName[scheme] = open
}

func (r *schemes) lookup(scheme string) (Opener, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	open, ok := r.byName[scheme]
	return open, ok
}

func (r *schemes) list() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]string, 0, len(r.byName))
	for s := range r.byName {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}
