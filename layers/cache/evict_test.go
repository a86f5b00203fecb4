package cache_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/kvcompose/compose/drivers/memory"
	"github.com/kvcompose/compose/drivers/posixfs"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/kvtest"
	"github.com/kvcompose/compose/layers/cache"
	"github.com/kvcompose/compose/layers/nesting"
	"github.com/kvcompose/compose/layers/softdelete"
)

// clock is a fake clock that tests move by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// hundred returns a value of 100 bytes that starts with s.
func hundred(s string) []byte { return append([]byte(s), bytes.Repeat([]byte{'.'}, 100-len(s))...) }

// step is one call of an eviction scenario: a store, a load, or the clock
// moving on.
type step struct {
	store, load string
	wait        time.Duration
}

// cachedNames returns the names of the cache store's items.
func (r rig) cachedNames(t *testing.T) []string {
	var names []string
	for _, item := range r.contents(t) {
		name, _, _ := bytes.Cut([]byte(item), []byte("="))
		names = append(names, string(name))
	}
	return names
}

// TestEviction runs scenarios of 100-byte items against budgets and checks
// what stays in the cache: the least recently used items go first when
// the namespace would exceed MaxSize, and items not used for MaxAge go at
// the next fill, before any of the others.
func TestEviction(t *testing.T) {
	for _, tc := range []struct {
		name      string
		policy    cache.Policy
		steps     []step
		want      []string
		evictions int64
	}{
		{"size-lru", cache.Policy{Mode: cache.WriteThrough, MaxSize: 300},
			[]step{{store: "a"}, {store: "b"}, {store: "c"}, {load: "a"}, {store: "d"}},
			[]string{"ns/a", "ns/c", "ns/d"}, 1},
		{"size-several", cache.Policy{Mode: cache.WriteThrough, MaxSize: 250},
			[]step{{store: "a"}, {store: "b"}, {store: "c"}, {store: "d"}},
			[]string{"ns/c", "ns/d"}, 2},
		{"size-mirror-loads", cache.Policy{Mode: cache.Mirror, MaxSize: 200},
			[]step{{store: "a"}, {store: "b"}, {load: "a"}, {store: "c"}},
			[]string{"ns/a", "ns/c"}, 1},
		{"overwrite-counts-once", cache.Policy{Mode: cache.WriteThrough, MaxSize: 200},
			[]step{{store: "a"}, {store: "b"}, {store: "a"}, {store: "a"}},
			[]string{"ns/a", "ns/b"}, 0},
		{"too-big", cache.Policy{Mode: cache.WriteThrough, MaxSize: 99},
			[]step{{store: "a"}, {load: "a"}},
			nil, 0},
		{"age", cache.Policy{Mode: cache.WriteThrough, MaxAge: time.Hour},
			[]step{{store: "a"}, {wait: 40 * time.Minute}, {store: "b"}, {wait: 30 * time.Minute}, {store: "c"}},
			[]string{"ns/b", "ns/c"}, 1},
		{"age-use-renews", cache.Policy{Mode: cache.WriteThrough, MaxAge: time.Hour},
			[]step{{store: "a"}, {wait: 40 * time.Minute}, {load: "a"}, {wait: 30 * time.Minute}, {store: "b"}},
			[]string{"ns/a", "ns/b"}, 0},
		{"age-before-size", cache.Policy{Mode: cache.WriteThrough, MaxAge: time.Hour, MaxSize: 1000},
			[]step{{store: "a"}, {wait: 2 * time.Hour}, {store: "b"}},
			[]string{"ns/b"}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClock()
			r := newRig(t, map[string]cache.Policy{"ns/": tc.policy}, cache.WithClock(c.Now))
			for _, s := range tc.steps {
				switch {
				case s.store != "":
					must(t, r.Store(t.Context(), "ns/"+s.store, hundred(s.store)), "store")
				case s.load != "":
					load(t, r, "ns/"+s.load, string(hundred(s.load)))
				}
				c.advance(s.wait + time.Second)
			}
			if got := r.cachedNames(t); !equal(got, tc.want) {
				t.Errorf("cache holds %q, want %q", got, tc.want)
			}
			st := r.Stats()
			if st.Evictions != tc.evictions || st.Items != int64(len(tc.want)) || st.Size != int64(100*len(tc.want)) {
				t.Errorf("stats %+v, want %d evictions, %d items of 100 bytes", st, tc.evictions, len(tc.want))
			}
		})
	}
}

// equal compares lists of names, nil and empty alike.
func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestOpenClose checks the budgets at Open (the index is rebuilt from a
// listing of a cache filled in an earlier session) and at Close (expired
// items go), that Open creates a missing cache store, and that Destroy
// destroys it.
func TestOpenClose(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	primary, store := memory.New("primary"), memory.New("cache")
	l := cache.New(primary, store, map[string]cache.Policy{
		"ns/":    {Mode: cache.WriteThrough, MaxSize: 300},
		"fresh/": {Mode: cache.WriteThrough, MaxAge: time.Hour},
	}, cache.WithClock(c.Now), cache.WithLogger(quiet))
	must(t, l.Create(ctx), "create")
	must(t, l.Open(ctx), "open")
	if err := store.Open(ctx); !errors.Is(err, kv.ErrAlreadyOpen) {
		t.Errorf("open of the cache store after the layer's Open: %v, want it open already", err)
	}
	for _, n := range []string{"a", "b", "c"} {
		must(t, l.Store(ctx, "ns/"+n, hundred(n)), "store")
	}
	must(t, l.Store(ctx, "fresh/x", hundred("x")), "store")
	must(t, l.Close(ctx), "close")

	// Another session put two more items into the cache (the memory
	// store has no atime: they count as used at Open, so 2 of 5 go).
	must(t, store.Open(ctx), "open the cache store")
	for _, n := range []string{"d", "e"} {
		must(t, store.Store(ctx, "ns/"+n, hundred(n)), "store in the cache")
	}
	must(t, store.Close(ctx), "close the cache store")
	must(t, l.Open(ctx), "open again")
	if s := l.Stats(); s.Items != 4 || s.Evictions != 2 {
		t.Errorf("after open: %+v, want 3 items of ns/ and 1 of fresh/, 2 evictions", s)
	}
	c.advance(2 * time.Hour)
	must(t, l.Close(ctx), "close")
	must(t, store.Open(ctx), "open the cache store")
	info, err := store.Info(ctx, "fresh/x")
	must(t, err, "info")
	if info.Exists {
		t.Errorf("fresh/x expired but is still cached after Close")
	}
	must(t, store.Close(ctx), "close the cache store")

	must(t, l.Destroy(ctx), "destroy")
	if err := store.Open(ctx); !errors.Is(err, kv.ErrNoStore) {
		t.Errorf("open of the cache store after Destroy: %v, want no store", err)
	}
}

// TestSoftDelete checks, through softdelete and nesting above the layer,
// that soft delete, undelete and a hard delete of the deleted version
// rename and remove the nested cached copy.
func TestSoftDelete(t *testing.T) {
	const key = "0123456789abcdef"
	for _, mode := range []cache.Mode{cache.Mirror, cache.WriteThrough} {
		t.Run(mode.String(), func(t *testing.T) {
			ctx := t.Context()
			r := rig{primary: &spy{next: memory.New("primary")}, cache: &spy{next: memory.New("cache")}}
			r.Layer = cache.New(r.primary, r.cache, map[string]cache.Policy{"data/": {Mode: mode}})
			n, err := nesting.New(r.Layer, map[string][]int{"data/": {1}})
			must(t, err, "nesting")
			b := kvtest.OpenStore(t, softdelete.New(n))
			for _, tc := range []struct {
				name string
				do   func() error
				want []string
			}{
				{"store", func() error { return b.Store(ctx, "data/"+key, []byte("v")) }, []string{"data/01/" + key + "=v"}},
				{"soft-delete", func() error { return b.Move(ctx, "data/"+key, "", kv.SoftDelete()) },
					[]string{"data/01/" + key + ".del=v"}},
				{"undelete", func() error { return b.Move(ctx, "data/"+key, "", kv.Undelete()) },
					[]string{"data/01/" + key + "=v"}},
				{"soft-delete-again", func() error { return b.Move(ctx, "data/"+key, "", kv.SoftDelete()) },
					[]string{"data/01/" + key + ".del=v"}},
				{"load-deleted", func() error {
					_, err := b.Load(ctx, "data/"+key, kv.Deleted())
					return err
				}, []string{"data/01/" + key + ".del=v"}},
				{"delete-deleted", func() error { return b.Delete(ctx, "data/"+key, kv.Deleted()) }, nil},
			} {
				must(t, tc.do(), tc.name)
				if got := r.contents(t); !equal(got, tc.want) {
					t.Errorf("after %s the cache holds %q, want %q", tc.name, got, tc.want)
				}
			}
		})
	}
}

// TestInvalidate checks that Invalidate, InvalidateNamespace and
// InvalidateAll empty what they name, including items the layer did not
// put there, so that the next load reads the primary.
func TestInvalidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		do   func(ctx context.Context, l *cache.Layer) error
		want []string
	}{
		{"item", func(ctx context.Context, l *cache.Layer) error { return l.Invalidate(ctx, "data/a") },
			[]string{"data/b", "data/sub/c", "meta/m"}},
		{"namespace", func(ctx context.Context, l *cache.Layer) error { return l.InvalidateNamespace(ctx, "data/") },
			[]string{"meta/m"}},
		{"namespace-without-slash", func(ctx context.Context, l *cache.Layer) error {
			return l.InvalidateNamespace(ctx, "data/sub")
		}, []string{"data/a", "data/b", "meta/m"}},
		{"all", func(ctx context.Context, l *cache.Layer) error { return l.InvalidateAll(ctx) }, nil},
		{"missing", func(ctx context.Context, l *cache.Layer) error { return l.Invalidate(ctx, "data/none") },
			[]string{"data/a", "data/b", "data/sub/c", "meta/m"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := t.Context()
			r := newRig(t, map[string]cache.Policy{"data/": {Mode: cache.WriteThrough}, "meta/": {Mode: cache.Mirror}})
			for _, n := range []string{"data/a", "data/b", "meta/m"} {
				must(t, r.Store(ctx, n, []byte("v")), "store")
			}
			must(t, r.cache.next.Store(ctx, "data/sub/c", []byte("v")), "store in the cache") // not indexed
			must(t, tc.do(ctx, r.Layer), tc.name)
			if got := r.cachedNames(t); !equal(got, tc.want) {
				t.Errorf("cache holds %q, want %q", got, tc.want)
			}
			r.primary.reset()
			load(t, r, "data/a", "v")
			wantLoads := map[bool]int64{true: 0, false: 1}[len(tc.want) > 0 && tc.want[0] == "data/a"]
			if got := r.primary.n(kv.OpLoad); got != wantLoads {
				t.Errorf("primary loads of data/a = %d, want %d", got, wantLoads)
			}
		})
	}
	l := cache.New(memory.New(""), memory.New(""), nil)
	if err := l.Invalidate(t.Context(), "data/a"); !errors.Is(err, kv.ErrNotOpen) {
		t.Errorf("invalidate on a closed layer: %v, want not open", err)
	}
	r := newRig(t, nil)
	for _, bad := range []string{"Data/A", "", "data/../x"} {
		if err := r.Invalidate(t.Context(), bad); !errors.Is(err, kv.ErrInvalidName) {
			t.Errorf("invalidate %q: %v, want invalid name", bad, err)
		}
	}
}

// TestOpenAtime checks that Open orders the items of a cache filled in an
// earlier session by the atime the posixfs cache store reports: the least
// recently accessed go first when the budget is smaller than the cache.
func TestOpenAtime(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	local, err := posixfs.New(filepath.Join(dir, "cache"))
	must(t, err, "posixfs")
	must(t, local.Create(ctx), "create the cache store")
	must(t, local.Open(ctx), "open the cache store")
	base := time.Now().Add(-time.Hour)
	for i, n := range []string{"b", "d", "a", "c"} { // accessed in this order
		must(t, local.Store(ctx, "ns/"+n, hundred(n)), "store in the cache")
		at := base.Add(time.Duration(i) * time.Minute)
		must(t, os.Chtimes(filepath.Join(dir, "cache", "ns", n), at, at), "chtimes")
	}
	must(t, local.Close(ctx), "close the cache store")

	l := cache.New(memory.New("primary"), local, map[string]cache.Policy{"ns/": {Mode: cache.WriteThrough, MaxSize: 200}})
	kvtest.OpenStore(t, l)
	var kept []string
	for _, n := range []string{"a", "b", "c", "d"} {
		if info, err := local.Info(ctx, "ns/"+n); err == nil && info.Exists {
			kept = append(kept, n)
		}
	}
	if want := []string{"a", "c"}; !equal(kept, want) {
		t.Errorf("after Open the cache keeps %q, want the two accessed last, %q", kept, want)
	}
}
