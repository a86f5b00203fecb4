package cache_test

import (
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/kvcompose/compose/drivers/memory"
	"github.com/kvcompose/compose/drivers/posixfs"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/kvtest"
	"github.com/kvcompose/compose/layers/cache"
	"github.com/kvcompose/compose/layers/nesting"
	"github.com/kvcompose/compose/layers/softdelete"
)

// quiet is a logger for tests that make the cache fail on purpose.
var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// policies are the configurations the conformance suites run with: each
// mode over the whole store, with tight budgets (so that the suite's items
// are evicted while it runs), and with Verify on names that are not
// digests (so that every cached value is dropped and the primary answers).
var policies = []struct {
	name   string
	policy map[string]cache.Policy
}{
	{"mirror", map[string]cache.Policy{"": {Mode: cache.Mirror}}},
	{"writethrough", map[string]cache.Policy{"": {Mode: cache.WriteThrough}}},
	{"mirror-budget", map[string]cache.Policy{"": {Mode: cache.Mirror, MaxSize: 100 << 10}}},
	{"writethrough-budget", map[string]cache.Policy{"": {Mode: cache.WriteThrough, MaxSize: 100 << 10}}},
	{"writethrough-verify", map[string]cache.Policy{"": {Mode: cache.WriteThrough, Verify: "sha256"}}},
	{"namespaces", map[string]cache.Policy{
		"ns/":   {Mode: cache.WriteThrough},
		"conc/": {Mode: cache.WriteThrough, MaxSize: 128 << 10},
		"move/": {Mode: cache.Mirror},
		"opts/": {Mode: cache.Off},
	}},
}

// TestBackend runs the driver conformance suite on the layer over a memory
// primary with a memory cache, in every configuration of policies.
func TestBackend(t *testing.T) {
	for _, p := range policies {
		t.Run(p.name, func(t *testing.T) {
			kvtest.TestBackend(t, func(t *testing.T) kv.Backend {
				return cache.New(memory.New("primary"), memory.New("cache"), p.policy, cache.WithLogger(quiet))
			})
		})
	}
}

// TestStack runs the stack conformance suite on softdelete over nesting
// over the layer, where the cache sees nested names and soft deletes
// arrive as renames.
func TestStack(t *testing.T) {
	for _, mode := range []cache.Mode{cache.Mirror, cache.WriteThrough} {
		t.Run(mode.String(), func(t *testing.T) {
			kvtest.TestStack(t, func(t *testing.T, levels map[string][]int) kv.Backend {
				c := cache.New(memory.New("primary"), memory.New("cache"),
					map[string]cache.Policy{"data/": {Mode: mode}, "config/": {Mode: mode}})
				n, err := nesting.New(c, levels)
				if err != nil {
					t.Fatal(err)
				}
				return softdelete.New(n)
			})
		})
	}
}

// TestBackendFiles runs the driver conformance suite on the layer over a
// posixfs primary with a posixfs cache, as a file:// cache is used.
func TestBackendFiles(t *testing.T) {
	for _, mode := range []cache.Mode{cache.Mirror, cache.WriteThrough} {
		t.Run(mode.String(), func(t *testing.T) {
			kvtest.TestBackend(t, func(t *testing.T) kv.Backend {
				dir := t.TempDir()
				primary, err := posixfs.New(filepath.Join(dir, "primary"))
				if err != nil {
					t.Fatal(err)
				}
				local, err := posixfs.New(filepath.Join(dir, "cache"))
				if err != nil {
					t.Fatal(err)
				}
				return cache.New(primary, local, map[string]cache.Policy{"": {Mode: mode, MaxSize: 1 << 20}})
			})
		})
	}
}
