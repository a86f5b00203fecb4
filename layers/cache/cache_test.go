package cache_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"testing"

	"github.com/kvcompose/compose/drivers/memory"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
	"github.com/kvcompose/compose/kv/kvtest"
	"github.com/kvcompose/compose/layers/cache"
)

// rig is a layer under test with spies on its primary and cache stores.
type rig struct {
	*cache.Layer
	primary, cache *spy
}

// newRig returns an open layer with policy over spied memory stores.
func newRig(t *testing.T, policy map[string]cache.Policy, opts ...cache.Option) rig {
	t.Helper()
	r := rig{primary: &spy{next: memory.New("primary")}, cache: &spy{next: memory.New("cache")}}
	r.Layer = kvtest.OpenStore(t, cache.New(r.primary, r.cache, policy, append([]cache.Option{cache.WithLogger(quiet)}, opts...)...))
	return r
}

// must fails the test now on an error.
func must(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// load checks that name loads as want through b.
func load(t *testing.T, b kv.Backend, name, want string, opts ...kv.Option) {
	t.Helper()
	got, err := b.Load(t.Context(), name, opts...)
	if err != nil || string(got) != want {
		t.Errorf("load %s %v = %q, %v; want %q", name, opts, got, err, want)
	}
}

// contents returns the items of the cache store, as "name=value", sorted;
// it reads the store below the spy, so it is not counted.
func (r rig) contents(t *testing.T) []string {
	t.Helper()
	var items []string
	var walk func(dir string)
	walk = func(dir string) {
		for info, err := range r.cache.next.List(t.Context(), dir) {
			if errors.Is(err, kv.ErrNotFound) {
				return
			}
			must(t, err, "list the cache")
			name := info.Name
			if dir != "" {
				name = dir + "/" + name
			}
			if info.Directory {
				walk(name)
				continue
			}
			v, err := r.cache.next.Load(t.Context(), name)
			must(t, err, "load from the cache")
			items = append(items, name+"="+string(v))
		}
	}
	walk("")
	sort.Strings(items)
	return items
}

// wantContents checks the items of the cache store.
func (r rig) wantContents(t *testing.T, want ...string) {
	t.Helper()
	if got := r.contents(t); !slices.Equal(got, want) && (len(got) > 0 || len(want) > 0) {
		t.Errorf("cache holds %q, want %q", got, want)
	}
}

// TestLoadRouting checks where loads go in each mode: mirror reads the
// primary every time, writethrough serves hits from the cache without
// touching the primary, off leaves the cache alone.
func TestLoadRouting(t *testing.T) {
	for _, tc := range []struct {
		mode                  cache.Mode
		primaryLoads, cacheLd int64
		hits, misses          int64
		cached                []string
	}{
		{cache.Mirror, 3, 0, 0, 0, []string{"ns/item=value"}},
		{cache.WriteThrough, 0, 3, 3, 0, []string{"ns/item=value"}},
		{cache.Off, 3, 0, 0, 0, nil},
	} {
		t.Run(tc.mode.String(), func(t *testing.T) {
			r := newRig(t, map[string]cache.Policy{"ns/": {Mode: tc.mode}})
			must(t, r.Store(t.Context(), "ns/item", []byte("value")), "store")
			r.wantContents(t, tc.cached...)
			r.primary.reset()
			r.cache.reset()
			for range 3 {
				load(t, r, "ns/item", "value")
			}
			if got := r.primary.n(kv.OpLoad); got != tc.primaryLoads {
				t.Errorf("primary loads = %d, want %d", got, tc.primaryLoads)
			}
			if got := r.cache.n(kv.OpLoad); got != tc.cacheLd {
				t.Errorf("cache loads = %d, want %d", got, tc.cacheLd)
			}
			if s := r.Stats(); s.Hits != tc.hits || s.Misses != tc.misses || s.Errors != 0 {
				t.Errorf("stats %+v, want %d hits, %d misses, no errors", s, tc.hits, tc.misses)
			}
		})
	}
}

// TestMissFills checks that a load that misses reads the primary once and
// fills the cache, in both modes, and that a mirror load of an item
// already cached writes it again.
func TestMissFills(t *testing.T) {
	for _, mode := range []cache.Mode{cache.Mirror, cache.WriteThrough} {
		t.Run(mode.String(), func(t *testing.T) {
			r := newRig(t, map[string]cache.Policy{"": {Mode: mode}})
			must(t, r.primary.Store(t.Context(), "ns/item", []byte("behind")), "store in the primary")
			load(t, r, "ns/item", "behind")
			r.wantContents(t, "ns/item=behind")
			load(t, r, "ns/item", "behind")
			wantPrimary := map[cache.Mode]int64{cache.Mirror: 2, cache.WriteThrough: 1}[mode]
			if got := r.primary.n(kv.OpLoad); got != wantPrimary {
				t.Errorf("primary loads = %d, want %d", got, wantPrimary)
			}
			_, err := r.Load(t.Context(), "ns/missing")
			if !errors.Is(err, kv.ErrNotFound) {
				t.Errorf("load of a missing item: %v, want not found", err)
			}
		})
	}
}

// TestPartialLoad checks that a partial load that misses reads the whole
// item once, caches it, and returns the part; later parts come from the
// cache (writethrough) or as parts from the primary (mirror).
func TestPartialLoad(t *testing.T) {
	ranges := []struct {
		offset, size int64
		want         string
	}{
		{2, 3, "234"}, {-3, -1, "789"}, {-4, 2, "67"}, {8, 100, "89"}, {100, 5, ""}, {0, 0, ""}, {-100, 2, "01"},
	}
	for _, mode := range []cache.Mode{cache.Mirror, cache.WriteThrough} {
		t.Run(mode.String(), func(t *testing.T) {
			r := newRig(t, map[string]cache.Policy{"": {Mode: mode}})
			must(t, r.primary.Store(t.Context(), "ns/item", []byte("0123456789")), "store in the primary")
			for i, rg := range ranges {
				load(t, r, "ns/item", rg.want, kv.Range(rg.offset, rg.size))
				if i == 0 {
					r.wantContents(t, "ns/item=0123456789")
				}
			}
			wantPrimary := map[cache.Mode]int64{cache.Mirror: int64(len(ranges)), cache.WriteThrough: 1}[mode]
			if got := r.primary.n(kv.OpLoad); got != wantPrimary {
				t.Errorf("primary loads = %d, want %d", got, wantPrimary)
			}
			if s := r.Stats(); s.WrittenBytes != 10 {
				t.Errorf("stats %+v: want 10 bytes written to the cache, once", s)
			}
		})
	}
}

// TestWrites checks that stores, deletes, moves and defrags keep the cache
// in step with the primary.
func TestWrites(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		do   func(r rig) error
		want []string
	}{
		{"store", func(r rig) error { return r.Store(ctx, "ns/b", []byte("B")) }, []string{"ns/a=A", "ns/b=B"}},
		{"overwrite", func(r rig) error { return r.Store(ctx, "ns/a", []byte("A2")) }, []string{"ns/a=A2"}},
		{"delete", func(r rig) error { return r.Delete(ctx, "ns/a") }, nil},
		{"move", func(r rig) error { return r.Move(ctx, "ns/a", "ns/c") }, []string{"ns/c=A"}},
		{"move-out", func(r rig) error { return r.Move(ctx, "ns/a", "other/a") }, nil},
		{"move-in", func(r rig) error {
			if err := r.Store(ctx, "other/x", []byte("X")); err != nil {
				return err
			}
			return r.Move(ctx, "other/x", "ns/x")
		}, []string{"ns/a=A"}}, // the value of ns/x was never seen
		{"move-over", func(r rig) error {
			if err := r.primary.Store(ctx, "ns/p", []byte("P")); err != nil {
				return err
			}
			return r.Move(ctx, "ns/p", "ns/a")
		}, nil},
		{"defrag", func(r rig) error {
			_, err := r.Defrag(ctx, []kv.Block{{Name: "ns/a", Size: 1}}, kv.Target("ns/a"))
			return err
		}, nil},
		{"failed-store", func(r rig) error {
			if err := r.Store(ctx, "ns/a", []byte("x"), kv.Range(0, 1)); !errors.Is(err, kv.ErrUnsupported) {
				return errors.New("store with a range did not fail")
			}
			return nil
		}, []string{"ns/a=A"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, map[string]cache.Policy{"ns/": {Mode: cache.WriteThrough}})
			must(t, r.Store(ctx, "ns/a", []byte("A")), "store")
			must(t, tc.do(r), tc.name)
			r.wantContents(t, tc.want...)
		})
	}
}

// TestVerify checks that a cached value whose digest is not its key is
// dropped and the primary's value served (and cached again).
func TestVerify(t *testing.T) {
	value := []byte("content-addressed value")
	key, _ := backendkit.HashBytes("sha256", value)
	name := "data/" + key
	for _, tc := range []struct {
		name    string
		bad     []byte // written into the cache, nil for none
		corrupt int64
		hits    int64
	}{
		{"intact", nil, 0, 1},
		{"corrupted", []byte("bit rot"), 1, 0},
		{"truncated", value[:5], 1, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, map[string]cache.Policy{"data/": {Mode: cache.WriteThrough, Verify: "sha256"}})
			must(t, r.Store(t.Context(), name, value), "store")
			if tc.bad != nil {
				must(t, r.cache.next.Store(t.Context(), name, tc.bad), "corrupt the cache")
			}
			r.primary.reset()
			load(t, r, name, string(value[3:8]), kv.Range(3, 5))
			if s := r.Stats(); s.Corrupt != tc.corrupt || s.Hits != tc.hits {
				t.Errorf("stats %+v, want %d corrupt, %d hits", s, tc.corrupt, tc.hits)
			}
			if got := r.primary.n(kv.OpLoad); got != tc.corrupt {
				t.Errorf("primary loads = %d, want %d", got, tc.corrupt)
			}
			r.wantContents(t, name+"="+string(value))
		})
	}
}

// TestFailingCache checks that a cache store that fails every call, from
// the start or once open, never makes a call fail.
func TestFailingCache(t *testing.T) {
	for _, tc := range []struct {
		name    string
		breakIt func(c *spy)
	}{
		{"from-the-start", func(c *spy) { c.broken.Store(true) }},
		{"items", func(c *spy) { c.itemsBroken.Store(true) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, mode := range []cache.Mode{cache.Mirror, cache.WriteThrough} {
				t.Run(mode.String(), func(t *testing.T) {
					kvtest.TestBackend(t, func(t *testing.T) kv.Backend {
						c := &spy{next: memory.New("cache")}
						tc.breakIt(c)
						return cache.New(memory.New("primary"), c, map[string]cache.Policy{"": {Mode: mode}},
							cache.WithLogger(quiet))
					})
				})
			}
		})
	}
	r := newRig(t, map[string]cache.Policy{"": {Mode: cache.WriteThrough}})
	r.cache.broken.Store(true)
	must(t, r.Store(t.Context(), "ns/a", []byte("A")), "store")
	load(t, r, "ns/a", "A")
	load(t, r, "ns/a", "", kv.Range(1, 1))
	must(t, r.Move(t.Context(), "ns/a", "ns/b"), "move")
	must(t, r.Delete(t.Context(), "ns/b"), "delete")
	if s := r.Stats(); s.Errors == 0 || s.Hits != 0 {
		t.Errorf("stats %+v, want errors counted and no hits", s)
	}
	if err := r.Invalidate(t.Context(), "ns/a"); !errors.Is(err, kv.ErrConnection) {
		t.Errorf("invalidate on a broken cache: %v, want its error", err)
	}
}

// TestCoherence runs rounds in which goroutines overwrite, load and move
// one item at once, with random waits in the primary to widen the races;
// after each round the layer must load what the primary holds.
func TestCoherence(t *testing.T) {
	r := newRig(t, map[string]cache.Policy{"ns/": {Mode: cache.WriteThrough}})
	r.primary.jitter.Store(true)
	ctx := t.Context()
	for round := range 60 {
		var wg sync.WaitGroup
		for w := range 6 {
			wg.Go(func() {
				switch {
				case w == 5 && round%3 == 0:
					if err := r.Move(ctx, "ns/other", "ns/shared"); err != nil && !errors.Is(err, kv.ErrNotFound) {
						t.Error(err)
					}
				case w%2 == 0:
					if err := r.Store(ctx, "ns/shared", []byte(fmt.Sprintf("%d-%d", round, w))); err != nil {
						t.Error(err)
					}
				default:
					if _, err := r.Load(ctx, "ns/shared"); err != nil && !errors.Is(err, kv.ErrNotFound) {
						t.Error(err)
					}
				}
			})
		}
		wg.Wait()
		want, err := r.primary.next.Load(ctx, "ns/shared")
		must(t, err, "load from the primary")
		load(t, r, "ns/shared", string(want))
		if round%3 == 2 {
			must(t, r.Store(ctx, "ns/other", []byte(fmt.Sprintf("other-%d", round))), "store")
		}
	}
}
