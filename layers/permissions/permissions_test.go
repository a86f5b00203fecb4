package permissions_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strings"
	"testing"

	"github.com/kvcompose/compose/drivers/memory"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
	"github.com/kvcompose/compose/kv/kvtest"
	"github.com/kvcompose/compose/layers/permissions"
	"github.com/kvcompose/compose/layers/stats"
)

// fixture is what every store of the letter tests holds before the call.
var fixture = []string{"ns/item", "ns/srcitem", "src/item", "dst/old"}

// setup returns a permissions layer with perms over a stats layer over a
// memory store that holds fixture and the empty directory ns/dir; the
// stats layer counts what reaches the store.
func setup(t *testing.T, perms map[string]string) (*permissions.Layer, *stats.Layer) {
	t.Helper()
	ctx := context.Background()
	st := kvtest.OpenStore(t, stats.New(memory.New(t.Name())))
	for _, name := range fixture {
		if err := st.Store(ctx, name, []byte(name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Mkdir(ctx, "ns/dir"); err != nil {
		t.Fatal(err)
	}
	st.Reset()
	return permissions.New(st, perms), st
}

// calls counts the calls that reached the store.
func calls(st *stats.Layer) int64 {
	var n int64
	for _, op := range st.Snapshot().Ops {
		n += op.Calls
	}
	return n
}

// letterCase is a call, the permission map it runs under with the letter
// X in place, and the letters X for which it is allowed.
type letterCase struct {
	name    string
	perms   map[string]string
	allowed string
	call    func(context.Context, kv.Backend) error
	probes  bool // a denial may cost one Info: the w/W decision
}

func letterCases() []letterCase {
	ns := map[string]string{"ns": "X"}
	return []letterCase{
		{"info", ns, "lr", func(c context.Context, b kv.Backend) error { _, err := b.Info(c, "ns/item"); return err }, false},
		{"info-root", map[string]string{"": "X"}, "lr", func(c context.Context, b kv.Backend) error { _, err := b.Info(c, ""); return err }, false},
		{"list", ns, "l", func(c context.Context, b kv.Backend) error {
			for _, err := range b.List(c, "ns") {
				if err != nil {
					return err
				}
			}
			return nil
		}, false},
		{"list-slash", ns, "l", func(c context.Context, b kv.Backend) error {
			for _, err := range b.List(c, "ns/") {
				if err != nil {
					return err
				}
			}
			return nil
		}, false},
		{"load", ns, "r", func(c context.Context, b kv.Backend) error { _, err := b.Load(c, "ns/item"); return err }, false},
		{"hash", ns, "r", func(c context.Context, b kv.Backend) error { _, err := b.Hash(c, "ns/item", ""); return err }, false},
		{"load-stream", ns, "r", func(c context.Context, b kv.Backend) error { return drainStream(b.LoadStream(c, "ns/item")) }, false},
		{"store-stream-new", ns, "wW", func(c context.Context, b kv.Backend) error {
			return b.StoreStream(c, "ns/new", strings.NewReader("v"), 1)
		}, false},
		{"store-stream-existing", ns, "W", func(c context.Context, b kv.Backend) error {
			return b.StoreStream(c, "ns/item", strings.NewReader("v"), -1)
		}, true},
		{"store-new", ns, "wW", func(c context.Context, b kv.Backend) error { return b.Store(c, "ns/new", []byte("v")) }, false},
		{"store-existing", ns, "W", func(c context.Context, b kv.Backend) error { return b.Store(c, "ns/item", []byte("v")) }, true},
		{"delete", ns, "D", func(c context.Context, b kv.Backend) error { return b.Delete(c, "ns/item") }, false},
		{"mkdir", ns, "w", func(c context.Context, b kv.Backend) error { return b.Mkdir(c, "ns/newdir") }, false},
		{"rmdir", ns, "wD", func(c context.Context, b kv.Backend) error { return b.Rmdir(c, "ns/dir") }, false},
		{"move-source", map[string]string{"ns": "X", "dst": "lrwWD"}, "D",
			func(c context.Context, b kv.Backend) error { return b.Move(c, "ns/item", "dst/new") }, false},
		{"move-target-new", map[string]string{"src": "D", "ns": "X"}, "wW",
			func(c context.Context, b kv.Backend) error { return b.Move(c, "src/item", "ns/new") }, false},
		{"move-target-existing", map[string]string{"src": "D", "ns": "X"}, "W",
			func(c context.Context, b kv.Backend) error { return b.Move(c, "src/item", "ns/item") }, true},
		{"defrag-source", map[string]string{"ns": "X", "dst": "lrwWD"}, "r", func(c context.Context, b kv.Backend) error {
			_, err := b.Defrag(c, []kv.Block{{Name: "ns/item", Size: 2}}, kv.Target("dst/new"))
			return err
		}, false},
		{"defrag-target-new", map[string]string{"src": "r", "ns": "X"}, "wW", func(c context.Context, b kv.Backend) error {
			_, err := b.Defrag(c, []kv.Block{{Name: "src/item", Size: 2}}, kv.Target("ns/new"))
			return err
		}, false},
		{"defrag-target-existing", map[string]string{"src": "r", "ns": "X"}, "W", func(c context.Context, b kv.Backend) error {
			_, err := b.Defrag(c, []kv.Block{{Name: "src/item", Size: 2}}, kv.Target("ns/item"))
			return err
		}, true},
		{"defrag-target-hash", map[string]string{"ns/srcitem": "r", "ns": "X"}, "W", func(c context.Context, b kv.Backend) error {
			_, err := b.Defrag(c, []kv.Block{{Name: "ns/srcitem", Size: 2}}, kv.TargetHash("sha256"))
			return err
		}, false},
	}
}

// TestLetters runs every call under every single letter (and none): the
// call is allowed exactly for its letters, and a denial is ErrPermission,
// names the letters needed, and reaches the store at most for the one Info
// that tells w from W.
func TestLetters(t *testing.T) {
	for _, tc := range letterCases() {
		for _, letter := range []string{"", "l", "r", "w", "W", "D"} {
			t.Run(tc.name+"/"+letter, func(t *testing.T) {
				perms := map[string]string{}
				for k, v := range tc.perms {
					perms[k] = strings.ReplaceAll(v, "X", letter)
				}
				l, st := setup(t, perms)
				err := tc.call(t.Context(), l)
				want := letter != "" && strings.Contains(tc.allowed, letter)
				if want {
					if err != nil {
						t.Fatalf("%v with %q: %v, want it allowed", tc.name, perms, err)
					}
					return
				}
				if !errors.Is(err, kv.ErrPermission) {
					t.Fatalf("%v with %q: %v, want kv.ErrPermission", tc.name, perms, err)
				}
				_, named, _ := strings.Cut(err.Error(), "needs ")
				named = strings.TrimPrefix(named, "one of ")
				for _, c := range tc.allowed {
					if !strings.HasPrefix(named, `"`) || !strings.ContainsRune(strings.Split(named, `"`)[1], c) {
						t.Errorf("error %q does not name the letter %c", err, c)
					}
				}
				if n := calls(st); n > 1 || (n == 1 && !tc.probes) {
					t.Errorf("a denied %s made %d calls below the layer: %v", tc.name, n, st.Snapshot())
				}
			})
		}
	}
}

// TestNearestEntry checks that the entry of the name, else of its nearest
// parent, decides, and that no entry denies.
func TestNearestEntry(t *testing.T) {
	cases := []struct {
		perms map[string]string
		name  string
		ok    bool
	}{
		{map[string]string{"": "r"}, "ns/item", true},
		{map[string]string{"": "r", "ns": "l"}, "ns/item", false},           // the nearer entry wins
		{map[string]string{"": "l", "ns": "r"}, "ns/item", true},            // even with more letters above
		{map[string]string{"": "r", "ns/item": ""}, "ns/item", false},       // an entry for the item itself
		{map[string]string{"ns/item": "r"}, "ns/item", true},                // no root entry needed
		{map[string]string{"src": "r"}, "ns/item", false},                   // no entry applies
		{map[string]string{"n": "r", "ns/i": "r"}, "ns/item", false},        // prefixes of segments do not count
		{map[string]string{"ns": "r", "ns/item/x": ""}, "ns/item", true},    // entries below do not count
		{map[string]string{}, "ns/item", false},                             // the empty map grants nothing
		{map[string]string{"": "lrwWD", "ns": "lwW"}, "ns/item", false},     // no r in ns
		{map[string]string{"": "lrwWD", "ns/srcitem": ""}, "ns/item", true}, // siblings do not count
	}
	for i, tc := range cases {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			l, _ := setup(t, tc.perms)
			_, err := l.Load(t.Context(), tc.name)
			if tc.ok && err != nil {
				t.Errorf("load %s with %q: %v, want allowed", tc.name, tc.perms, err)
			}
			if !tc.ok && !errors.Is(err, kv.ErrPermission) {
				t.Errorf("load %s with %q: %v, want kv.ErrPermission", tc.name, tc.perms, err)
			}
		})
	}
}

// TestCreateDestroy checks the store-wide calls: Create needs w or W on
// the root, Destroy needs D there; Open, Close and Quota need nothing.
func TestCreateDestroy(t *testing.T) {
	ctx := t.Context()
	for _, perm := range []string{"", "l", "r", "w", "W", "D"} {
		t.Run(perm, func(t *testing.T) {
			full := memory.New(t.Name())
			l := permissions.New(full, map[string]string{"": perm, "ns": "lrwWD"})
			err := l.Create(ctx)
			if want := perm == "w" || perm == "W"; want != (err == nil) || (!want && !errors.Is(err, kv.ErrPermission)) {
				t.Fatalf("create with %q: %v", perm, err)
			}
			if err != nil {
				if err := full.Create(ctx); err != nil {
					t.Fatal(err)
				}
			}
			if err := l.Open(ctx); err != nil {
				t.Fatalf("open with %q: %v", perm, err)
			}
			if _, err := l.Quota(ctx); err != nil {
				t.Errorf("quota with %q: %v", perm, err)
			}
			if err := l.Close(ctx); err != nil {
				t.Fatalf("close with %q: %v", perm, err)
			}
			err = l.Destroy(ctx)
			if want := perm == "D"; want != (err == nil) || (!want && !errors.Is(err, kv.ErrPermission)) {
				t.Fatalf("destroy with %q: %v", perm, err)
			}
		})
	}
}

// TestInvalidMap checks that Validate names what is wrong, and that a
// layer made with an invalid map denies every call.
func TestInvalidMap(t *testing.T) {
	cases := []struct {
		perms map[string]string
		want  string
	}{
		{map[string]string{"": "lrx"}, `letter 'x'`},
		{map[string]string{"": "lr", "Data": "r"}, `key "Data"`},
		{map[string]string{"/data": "r"}, "leading /"},
		{map[string]string{"data/": "r"}, "trailing /"},
		{map[string]string{"a//b": "r"}, "empty path segment"},
		{map[string]string{"a/../b": "r"}, `".."`},
		{map[string]string{"data": "R"}, `letter 'R'`},
		{map[string]string{"data": "l r"}, `letter ' '`},
	}
	for _, tc := range cases {
		err := permissions.Validate(tc.perms)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate(%q) = %v, want an error with %s", tc.perms, err, tc.want)
		}
		l := permissions.New(memory.New(""), tc.perms)
		if err := l.Create(t.Context()); !errors.Is(err, kv.ErrPermission) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("create with %q: %v, want kv.ErrPermission with %s", tc.perms, err, tc.want)
		}
	}
	if err := permissions.Validate(map[string]string{"": "", "data/01": "lrwWD", "a": "ll"}); err != nil {
		t.Errorf("Validate of a valid map: %v", err)
	}
}

// TestPermissionsCopy checks that the layer keeps its own copy of the map.
func TestPermissionsCopy(t *testing.T) {
	perms := map[string]string{"": "lr"}
	l := permissions.New(memory.New(""), perms)
	perms[""] = "lrwWD"
	if got := l.Permissions()[""]; got != "lr" {
		t.Errorf("the layer follows the caller's map: %q", got)
	}
}

// flatLister answers a recursive List with fixed names, as an object
// store lists everything below a directory.
type flatLister struct {
	kv.Backend
	names []string
}

func (f flatLister) List(ctx context.Context, name string, opts ...kv.Option) iter.Seq2[kv.ItemInfo, error] {
	if !backendkit.Has(opts, kv.KindRecursive) {
		return f.Backend.List(ctx, name, opts...)
	}
	return func(yield func(kv.ItemInfo, error) bool) {
		for _, n := range f.names {
			if !yield(kv.ItemInfo{Name: n, Exists: true}, nil) {
				return
			}
		}
	}
}

// TestRecursiveListHonoursSubdirectories checks that a recursive listing
// shows no more than listing each directory would: the names below a
// directory without l are left out.
func TestRecursiveListHonoursSubdirectories(t *testing.T) {
	f := flatLister{Backend: memory.New(t.Name()), names: []string{"a", "open/b", "secret/c", "secret/open/d"}}
	l := permissions.New(f, map[string]string{"": "lr", "secret": "", "secret/open": "l"})
	var got []string
	for it, err := range l.List(t.Context(), "", kv.Recursive()) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, it.Name)
	}
	if want := []string{"a", "open/b", "secret/open/d"}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("recursive list = %q, want %q", got, want)
	}
}
