package cache_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/kvcompose/compose/drivers/memory"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
	"github.com/kvcompose/compose/kv/kvtest"
	"github.com/kvcompose/compose/layers/cache"
	"github.com/kvcompose/compose/layers/faults"
	"github.com/kvcompose/compose/layers/retry"
)

// loadStream checks that name streams as want through b.
func loadStream(t *testing.T, b kv.Backend, name, want string, opts ...kv.Option) {
	t.Helper()
	r, err := b.LoadStream(t.Context(), name, opts...)
	if err != nil {
		t.Errorf("load stream %s %v: %v", name, opts, err)
		return
	}
	defer r.Close()
	got, err := io.ReadAll(r)
	if err != nil || string(got) != want {
		t.Errorf("load stream %s %v = %q, %v; want %q", name, opts, got, err, want)
	}
}

// readSome opens name through b, reads n bytes and closes the stream.
func readSome(t *testing.T, b kv.Backend, name string, n int) {
	t.Helper()
	r, err := b.LoadStream(t.Context(), name)
	must(t, err, "load stream")
	_, err = io.ReadFull(r, make([]byte, n))
	must(t, err, "read")
	must(t, r.Close(), "close early")
}

// TestStreamFills checks that a stream read to its end fills the cache,
// that a WriteThrough stream is then served from the cache, and that a
// stream closed early, or a partial one, leaves nothing in the cache.
func TestStreamFills(t *testing.T) {
	for _, mode := range []cache.Mode{cache.Mirror, cache.WriteThrough} {
		t.Run(mode.String(), func(t *testing.T) {
			r := newRig(t, map[string]cache.Policy{"": {Mode: mode}})
			must(t, r.primary.Store(t.Context(), "ns/item", []byte("0123456789")), "store in the primary")
			readSome(t, r, "ns/item", 4)
			r.wantContents(t)
			loadStream(t, r, "ns/item", "234", kv.Range(2, 3))
			r.wantContents(t)
			loadStream(t, r, "ns/item", "0123456789")
			r.wantContents(t, "ns/item=0123456789")
			r.primary.reset()
			loadStream(t, r, "ns/item", "0123456789")
			loadStream(t, r, "ns/item", "89", kv.Range(-2, -1))
			wantPrimary := map[cache.Mode]int64{cache.Mirror: 2, cache.WriteThrough: 0}[mode]
			if got := r.primary.n(kv.OpLoad); got != wantPrimary {
				t.Errorf("primary loads = %d, want %d", got, wantPrimary)
			}
			s := r.Stats()
			if mode == cache.WriteThrough && (s.Hits != 2 || s.ServedBytes != 12) {
				t.Errorf("stats %+v, want 2 hits serving 12 bytes", s)
			}
			// A mirror writes the copy again at each whole read.
			if want := map[cache.Mode]int64{cache.Mirror: 20, cache.WriteThrough: 10}[mode]; s.WrittenBytes != want {
				t.Errorf("stats %+v, want %d bytes written to the cache", s, want)
			}
			_, err := r.LoadStream(t.Context(), "ns/missing")
			if !errors.Is(err, kv.ErrNotFound) {
				t.Errorf("load stream of a missing item: %v, want not found", err)
			}
		})
	}
}

// TestStreamClosedEarly checks that a stream closed early or failing in
// the middle leaves no copy in the cache, and that a later Load and
// LoadStream are served right.
func TestStreamClosedEarly(t *testing.T) {
	ctx := t.Context()
	value := strings.Repeat("0123456789", 10000)
	for _, mode := range []cache.Mode{cache.Mirror, cache.WriteThrough} {
		t.Run(mode.String(), func(t *testing.T) {
			primary := memory.New("primary")
			f := faults.New(primary, faults.Rule{Ops: []kv.Op{kv.OpLoad}, Err: kv.ErrConnection,
				Mode: faults.CutShort, CutAfter: 5000, Times: 1})
			local := memory.New("cache")
			l := kvtest.OpenStore(t, cache.New(f, local, map[string]cache.Policy{"": {Mode: mode}}, cache.WithLogger(quiet)))
			kvtest.Fill(t, primary, map[string]string{"ns/a": value})

			r, err := l.LoadStream(ctx, "ns/a") // cut short after 5000 bytes
			must(t, err, "load stream")
			if got, err := io.ReadAll(r); !errors.Is(err, kv.ErrConnection) || len(got) != 5000 {
				t.Fatalf("read cut short: %d bytes, %v", len(got), err)
			}
			r.Close()
			readSome(t, l, "ns/a", 20000) // closed early
			if info, err := local.Info(ctx, "ns/a"); err != nil || info.Exists {
				t.Fatalf("the cache holds a copy of a stream that did not end: %+v, %v", info, err)
			}
			if s := l.Stats(); s.Items != 0 || s.WrittenBytes != 0 {
				t.Errorf("stats %+v, want nothing cached", s)
			}
			load(t, l, "ns/a", value)
			loadStream(t, l, "ns/a", value)
			got, err := local.Load(ctx, "ns/a")
			if err != nil || string(got) != value {
				t.Errorf("the cache holds %d bytes, %v; want the value", len(got), err)
			}
		})
	}
}

// TestStreamBudget checks that a stream is cached only when the budget
// keeps a value of its size, and that a value too big drops an older copy.
func TestStreamBudget(t *testing.T) {
	ctx := t.Context()
	small, big := strings.Repeat("s", 50), strings.Repeat("b", 150)
	r := newRig(t, map[string]cache.Policy{"": {Mode: cache.Mirror, MaxSize: 100}})
	must(t, r.primary.Store(ctx, "ns/a", []byte(small)), "store in the primary")
	loadStream(t, r, "ns/a", small)
	r.wantContents(t, "ns/a="+small)
	must(t, r.primary.Store(ctx, "ns/a", []byte(big)), "store in the primary")
	loadStream(t, r, "ns/a", big)
	r.wantContents(t)

	// StoreStream: a known size, an unknown one, over and within the budget.
	for _, tc := range []struct {
		value string
		size  int64
		want  []string
	}{
		{small, -1, []string{"ns/b=" + small}},
		{big, -1, nil},
		{small, 50, []string{"ns/b=" + small}},
		{big, 150, nil},
	} {
		must(t, r.StoreStream(ctx, "ns/b", strings.NewReader(tc.value), tc.size), "store stream")
		r.wantContents(t, tc.want...)
		load(t, r, "ns/b", tc.value)
		must(t, r.Delete(ctx, "ns/b"), "delete")
	}
	if s := r.Stats(); s.Items != 0 || s.Size != 0 {
		t.Errorf("stats %+v, want an empty index", s)
	}
}

// TestStreamVerify checks that a cached copy that fails Verify is not
// streamed: the primary's value is, and fills the cache again.
func TestStreamVerify(t *testing.T) {
	value := []byte("content-addressed value")
	key, _ := backendkit.HashBytes("sha256", value)
	name := "data/" + key
	for _, tc := range []struct {
		name    string
		bad     []byte
		corrupt int64
	}{{"intact", nil, 0}, {"corrupted", []byte("bit rot"), 1}} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, map[string]cache.Policy{"data/": {Mode: cache.WriteThrough, Verify: "sha256"}})
			must(t, r.Store(t.Context(), name, value), "store")
			if tc.bad != nil {
				must(t, r.cache.next.Store(t.Context(), name, tc.bad), "corrupt the cache")
			}
			r.primary.reset()
			loadStream(t, r, name, string(value))
			if s := r.Stats(); s.Corrupt != tc.corrupt || s.Hits != 1-tc.corrupt {
				t.Errorf("stats %+v, want %d corrupt", s, tc.corrupt)
			}
			if got := r.primary.n(kv.OpLoad); got != tc.corrupt {
				t.Errorf("primary loads = %d, want %d", got, tc.corrupt)
			}
			r.wantContents(t, name+"="+string(value))
		})
	}
}

// TestStoreStream checks that StoreStream updates the cache as Store
// does: a copy of the value, dropped when the store fails or takes
// options; and that a source rewound by the retry layer below is cached
// whole.
func TestStoreStream(t *testing.T) {
	ctx := t.Context()
	r := newRig(t, map[string]cache.Policy{"ns/": {Mode: cache.WriteThrough}})
	must(t, r.Store(ctx, "ns/a", []byte("A")), "store")
	must(t, r.StoreStream(ctx, "ns/a", strings.NewReader("A2"), 2), "store stream")
	r.wantContents(t, "ns/a=A2")
	if err := r.StoreStream(ctx, "ns/a", strings.NewReader("xx"), 2, kv.Range(0, 1)); !errors.Is(err, kv.ErrUnsupported) {
		t.Errorf("store stream with a range: %v, want unsupported", err)
	}
	r.wantContents(t, "ns/a=A2")
	err := r.StoreStream(ctx, "ns/a", strings.NewReader("A3"), 3)
	if !errors.Is(err, kv.ErrSizeMismatch) {
		t.Errorf("store stream with a size that lies: %v", err)
	}
	r.wantContents(t)
	load(t, r, "ns/a", "A2")

	value := bytes.Repeat([]byte("0123456789"), 10000)
	f := faults.New(memory.New("primary"), faults.Rule{Ops: []kv.Op{kv.OpStore}, Err: kv.ErrConnection,
		Mode: faults.CutShort, CutAfter: 30000, Times: 1})
	local := memory.New("cache")
	l := kvtest.OpenStore(t, cache.New(retry.New(f, retry.Config{InitialBackoff: 1, MaxBackoff: 1}), local,
		map[string]cache.Policy{"": {Mode: cache.WriteThrough}}, cache.WithLogger(quiet)))
	must(t, l.StoreStream(ctx, "ns/b", bytes.NewReader(value), int64(len(value))), "store stream, retried")
	if n := f.Calls(kv.OpStore); n != 2 {
		t.Errorf("%d tries, want 2", n)
	}
	got, err := local.Load(ctx, "ns/b")
	if err != nil || !bytes.Equal(got, value) {
		t.Errorf("the cache holds %d bytes, %v; want the value", len(got), err)
	}
}

// TestStreamRacesWithStore checks that a stream of the old value that
// ends after a Store of a new one through the layer does not cache the
// old value.
func TestStreamRacesWithStore(t *testing.T) {
	ctx := context.Background()
	for _, mode := range []cache.Mode{cache.Mirror, cache.WriteThrough} {
		t.Run(mode.String(), func(t *testing.T) {
			r := newRig(t, map[string]cache.Policy{"": {Mode: mode}})
			must(t, r.primary.Store(ctx, "ns/a", []byte("old value")), "store in the primary")
			s, err := r.LoadStream(ctx, "ns/a")
			must(t, err, "load stream")
			head := make([]byte, 3)
			_, err = io.ReadFull(s, head)
			must(t, err, "read")
			must(t, r.Store(ctx, "ns/a", []byte("new")), "store")
			rest, err := io.ReadAll(s)
			must(t, err, "read the rest")
			s.Close()
			if got := string(head) + string(rest); got != "old value" {
				t.Errorf("the stream read %q, want the old value", got)
			}
			r.wantContents(t, "ns/a=new")
			load(t, r, "ns/a", "new")
			loadStream(t, r, "ns/a", "new")
		})
	}
}
