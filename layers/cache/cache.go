// Package cache is a kv.Backend layer that keeps copies of the items of
// chosen namespaces in a second, faster store, as borgstore's cache does.
//
// Streams are cached too: a LoadStream that hits is served from the
// cached copy as a stream; one that misses streams from the primary and
// tees into the cache the values the policy keeps, committing the copy
// only when the stream reached its end whole (never a partial copy); a
// StoreStream tees into the cache as the primary reads it, and updates or
// drops the cached copy as Store does.
package cache

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

// Mode says what the cache does for the items of a namespace.
type Mode uint8

// The modes. The zero Mode is Off.
const (
	// Off leaves the namespace alone: every call goes to the primary only.
	// It excludes a namespace inside a cached one (the longest prefix wins).
	Off Mode = iota
	// Mirror reads always from the primary; successful reads and writes
	// update the cache, which follows the primary but is never trusted.
	Mirror
	// WriteThrough serves reads from the cache when the item is there
	// (reading the primary and filling the cache on a miss) and writes to
	// both. Use it for namespaces whose values never change once written,
	// such as content-addressed ones.
	WriteThrough
)

var modeNames = [...]string{Off: "off", Mirror: "mirror", WriteThrough: "writethrough"}

// String returns the name of the mode: "off", "mirror" or "writethrough".
func (m Mode) String() string {
	if int(m) < len(modeNames) {
		return modeNames[m]
	}
	return fmt.Sprintf("mode(%d)", uint8(m))
}

// ParseMode returns the Mode named s ("off", "mirror", "writethrough",
// case-insensitive), as borgstore's configuration names them.
func ParseMode(s string) (Mode, error) {
	for m, name := range modeNames {
		if strings.EqualFold(s, name) {
			return Mode(m), nil
		}
	}
	return Off, fmt.Errorf("cache: unknown mode %q (want off, mirror or writethrough)", s)
}

// Policy is what the cache does for one namespace.
type Policy struct {
	// Mode is Off, Mirror or WriteThrough.
	Mode Mode
	// MaxAge, when not 0, removes items not used for that long (by this
	// layer: a hit, a fill or a write is a use) from the cache.
	MaxAge time.Duration
	// MaxSize, when not 0, is the budget of the namespace in the cache in
	// bytes: the least recently used items are evicted to make room for a
	// new one, and an item bigger than MaxSize is not cached.
	MaxSize int64
	// Verify, when not "", names a hash algorithm (see kv.HashAlgorithms,
	// usually "sha256") by whose hex digest the items of the namespace are
	// named. A cached value is hashed before it is served, and dropped
	// (then read from the primary) when its digest is not its key.
	Verify string
}

// ValidatePolicy checks a policy map as New takes it: prefixes are "" (the
// whole store) or end in "/", modes are known, budgets are not negative and
// Verify names a known algorithm. The error names the first bad prefix.
func ValidatePolicy(policy map[string]Policy) error {
	for _, prefix := range sortedPrefixes(policy) {
		p := policy[prefix]
		var why string
		switch {
		case prefix != "" && !strings.HasSuffix(prefix, "/"):
			why = "a namespace prefix must end in \"/\""
		case prefix != "" && !kv.IsValidName(strings.TrimSuffix(prefix, "/")):
			why = "not a valid directory name"
		case int(p.Mode) >= len(modeNames):
			why = "unknown mode " + p.Mode.String()
		case p.MaxAge < 0:
			why = "negative MaxAge"
		case p.MaxSize < 0:
			why = "negative MaxSize"
		}
		if why == "" && p.Verify != "" {
			if _, err := backendkit.NewHash(p.Verify); err != nil {
				why = err.Error()
			}
		}
		if why != "" {
			return fmt.Errorf("cache: policy %q: %s", prefix, why)
		}
	}
	return nil
}

// sortedPrefixes returns the keys of policy, longest first.
func sortedPrefixes(policy map[string]Policy) []string {
	prefixes := make([]string, 0, len(policy))
	for p := range policy {
		prefixes = append(prefixes, p)
	}
	sort.Slice(prefixes, func(i, j int) bool {
		if len(prefixes[i]) != len(prefixes[j]) {
			return len(prefixes[i]) > len(prefixes[j])
		}
		return prefixes[i] < prefixes[j]
	})
	return prefixes
}

// Layer caches the items of the namespaces its policy names in a second
// store. It sits below softdelete and nesting, so it sees the names the
// primary holds (nesting directories and ".del" included) and keeps them
// under the same names in the cache; a soft delete or undelete reaches it
// as a Move and renames the cached copy too.
//
// The cache never makes a call fail: a cache error is counted, logged at
// Warn, and the primary answers. Within one process the cache follows the
// primary: a write, delete or move updates or drops the cached copy, and a
// fill from a read that raced with a write of the same name is skipped.
// Other processes writing the primary are not seen (see Invalidate).
//
// It is safe for concurrent use: calls on different names take no common
// lock, except a short one per namespace for the LRU bookkeeping.
type Layer struct {
	next, cache kv.Backend
	spaces      []*space // longest prefix first
	policyErr   error
	clock       func() time.Time
	log         *slog.Logger

	life   sync.Mutex  // serializes Create, Destroy, Open, Close
	open   atomic.Bool // the layer is open
	active atomic.Bool // the cache store is open and usable
	stripes
	counters
}

var _ kv.Backend = (*Layer)(nil)

// Option configures a Layer.
type Option func(*Layer)

// WithClock makes the layer read the time from now instead of time.Now:
// it decides ages and the least recently used items.
func WithClock(now func() time.Time) Option { return func(l *Layer) { l.clock = now } }

// WithLogger makes the layer log cache failures (at Warn) to logger
// instead of slog.Default().
func WithLogger(logger *slog.Logger) Option { return func(l *Layer) { l.log = logger } }

// New returns a cache layer over next, the primary store, that keeps
// copies in cache, a store of its own (for example a posixfs driver on
// file:///var/cache/...). policy maps namespace prefixes, which end in "/"
// ("" is the whole store), to what is cached there; a name belongs to the
// longest matching prefix, and a name that matches none is not cached:
//
//	map[string]cache.Policy{
//		"data/":   {Mode: cache.WriteThrough, MaxSize: 4 << 30, Verify: "sha256"},
//		"config/": {Mode: cache.Mirror},
//	}
//
// The layer opens, closes and destroys the cache store with the primary;
// Open creates the cache store when it is missing (Create creates only the
// primary), and Destroy destroys it after the primary: give each primary
// a cache store of its own. An invalid policy (see ValidatePolicy) or a
// nil cache makes Open fail.
func New(next kv.Backend, cache kv.Backend, policy map[string]Policy, opts ...Option) *Layer {
	l := &Layer{next: next, cache: cache, clock: time.Now, policyErr: ValidatePolicy(policy)}
	if cache == nil {
		l.policyErr = errors.New("cache: no cache store")
	}
	l.seed = maphash.MakeSeed()
	for _, prefix := range sortedPrefixes(policy) {
		l.spaces = append(l.spaces, newSpace(prefix, policy[prefix]))
	}
	for _, o := range opts {
		o(l)
	}
	if l.log == nil {
		l.log = slog.Default()
	}
	return l
}

// Unwrap returns the primary Backend below the layer.
func (l *Layer) Unwrap() kv.Backend { return l.next }

// Cache returns the store that holds the cached copies.
func (l *Layer) Cache() kv.Backend { return l.cache }

// spaceOf returns the namespace of name, or nil when name is not cached
// (no prefix matches, the policy says Off, or the cache is not usable).
func (l *Layer) spaceOf(name string) *space {
	if !l.active.Load() {
		return nil
	}
	for _, s := range l.spaces {
		if strings.HasPrefix(name, s.prefix) {
			if s.policy.Mode == Off {
				return nil
			}
			return s
		}
	}
	return nil
}

// fail counts and logs a failure of the cache store; the caller carries on
// with the primary.
func (l *Layer) fail(op kv.Op, name string, err error) {
	l.errors.Add(1)
	l.log.Warn("kvcompose cache: ignoring a cache failure", "op", op.String(), "name", name, "error", err)
}

// Create creates the primary store. The cache store is created by Open.
func (l *Layer) Create(ctx context.Context) error {
	l.life.Lock()
	defer l.life.Unlock()
	return l.next.Create(ctx)
}

// Destroy destroys the primary store, then the cache store; a failure to
// destroy the cache is logged, not returned.
func (l *Layer) Destroy(ctx context.Context) error {
	l.life.Lock()
	defer l.life.Unlock()
	if err := l.next.Destroy(ctx); err != nil {
		return err
	}
	if err := l.cache.Destroy(ctx); err != nil && !errors.Is(err, kv.ErrNoStore) {
		l.fail(kv.OpDestroy, "", err)
	}
	return nil
}

// Open opens the primary store, then the cache store (creating it when it
// is missing), lists the cached namespaces to rebuild the index of sizes
// and last uses, and removes what is over the budgets. A cache store that
// cannot be opened is logged and left out: the layer then passes every
// call to the primary until it is opened again.
func (l *Layer) Open(ctx context.Context) error {
	l.life.Lock()
	defer l.life.Unlock()
	if l.policyErr != nil {
		return backendkit.NewError(kv.OpOpen, "", kv.ErrUnsupported, l.policyErr)
	}
	if err := l.next.Open(ctx); err != nil {
		return err
	}
	l.open.Store(true)
	if err := l.openCache(ctx); err != nil {
		l.fail(kv.OpOpen, "", err)
		return nil
	}
	l.active.Store(true)
	l.cleanup(ctx)
	return nil
}

// openCache opens the cache store, creating it if it is missing, and
// rebuilds the index from its listing.
func (l *Layer) openCache(ctx context.Context) error {
	err := l.cache.Open(ctx)
	if errors.Is(err, kv.ErrNoStore) {
		if err = l.cache.Create(ctx); err == nil {
			err = l.cache.Open(ctx)
		}
	}
	if err != nil {
		return err
	}
	if err := l.scan(ctx); err != nil {
		_ = l.cache.Close(context.WithoutCancel(ctx))
		return err
	}
	return nil
}

// Close removes what is over the budgets from the cache, closes the cache
// store (a failure is logged), then closes the primary and returns its
// error.
func (l *Layer) Close(ctx context.Context) error {
	l.life.Lock()
	defer l.life.Unlock()
	if l.open.Load() && l.active.Load() {
		l.cleanup(ctx)
		l.active.Store(false)
		if err := l.cache.Close(ctx); err != nil {
			l.fail(kv.OpClose, "", err)
		}
	}
	l.open.Store(false)
	return l.next.Close(ctx)
}

// Mkdir creates the directory name in the primary.
func (l *Layer) Mkdir(ctx context.Context, name string) error { return l.next.Mkdir(ctx, name) }

// Rmdir removes the directory name from the primary.
func (l *Layer) Rmdir(ctx context.Context, name string) error { return l.next.Rmdir(ctx, name) }

// Quota reports the quota of the primary.
func (l *Layer) Quota(ctx context.Context) (kv.Quota, error) { return l.next.Quota(ctx) }
