package permissions_test

import (
	"context"
	"errors"
	"maps"
	"strings"
	"testing"

	"github.com/kvcompose/compose/drivers/memory"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/kvtest"
	"github.com/kvcompose/compose/layers/nesting"
	"github.com/kvcompose/compose/layers/permissions"
	"github.com/kvcompose/compose/layers/softdelete"
)

// repoFixture is a small Borg 2 repository at the driver level (packs/ at
// nesting level 1).
var repoFixture = []string{
	"archives/0a1b", "cache/last-pack-checked", "config/manifest", "index/0c1d",
	"keys/repokey", "locks/0e1f", "packs/01/0123",
}

// A shortcutCase is a call and whether each shortcut allows it.
type shortcutCase struct {
	name                               string
	all, noDelete, writeOnly, readOnly bool
	call                               func(context.Context, kv.Backend) error
}

func store(name string) func(context.Context, kv.Backend) error {
	return func(c context.Context, b kv.Backend) error { return b.Store(c, name, []byte("new")) }
}

func load(name string) func(context.Context, kv.Backend) error {
	return func(c context.Context, b kv.Backend) error { _, err := b.Load(c, name); return err }
}

func del(name string) func(context.Context, kv.Backend) error {
	return func(c context.Context, b kv.Backend) error { return b.Delete(c, name) }
}

func list(name string) func(context.Context, kv.Backend) error {
	return func(c context.Context, b kv.Backend) error {
		for _, err := range b.List(c, name) {
			if err != nil {
				return err
			}
		}
		return nil
	}
}

var shortcutCases = []shortcutCase{
	{"list the root", true, true, true, true, list("")},
	{"list packs", true, true, true, true, list("packs/01")},
	{"info of a pack", true, true, true, true, func(c context.Context, b kv.Backend) error {
		_, err := b.Info(c, "packs/01/0123")
		return err
	}},
	{"load a pack", true, true, false, true, load("packs/01/0123")},
	{"hash a pack", true, true, false, true, func(c context.Context, b kv.Backend) error {
		_, err := b.Hash(c, "packs/01/0123", "sha256")
		return err
	}},
	{"store a new pack", true, true, true, false, store("packs/45/4567")},
	{"overwrite a pack", true, false, false, false, store("packs/01/0123")},
	{"delete a pack", true, false, false, false, del("packs/01/0123")},
	{"store a new archive", true, true, true, false, store("archives/2a3b")},
	{"load an archive", true, true, false, true, load("archives/0a1b")},
	{"delete an archive", true, false, false, false, del("archives/0a1b")},
	{"soft delete an archive", true, false, false, false, func(c context.Context, b kv.Backend) error {
		return b.Move(c, "archives/0a1b", "archives/0a1b.del")
	}},
	{"load the manifest", true, true, true, true, load("config/manifest")},
	{"overwrite the manifest", true, true, true, false, store("config/manifest")},
	{"store a new key", true, false, false, false, store("keys/other")},
	{"load the key", true, true, true, true, load("keys/repokey")},
	{"take a lock", true, true, true, true, store("locks/2e3f")},
	{"release a lock", true, true, true, true, del("locks/0e1f")},
	{"overwrite an index", true, true, true, false, store("index/0c1d")},
	{"delete an index", true, true, true, false, del("index/0c1d")},
	{"load an index", true, true, true, true, load("index/0c1d")},
	{"overwrite the cache", true, true, true, false, store("cache/last-pack-checked")},
	{"store at the root", true, false, false, false, store("stray")},
	{"mkdir a new namespace", true, false, false, false, func(c context.Context, b kv.Backend) error {
		return b.Mkdir(c, "other")
	}},
}

// TestShortcuts runs Borg 2's calls under each shortcut, also by its
// borgstore name, on a small repository.
func TestShortcuts(t *testing.T) {
	for _, name := range []string{"all", "no-delete", "write-only", "read-only"} {
		for _, alias := range []string{name, "borgbackup-" + name} {
			perms, err := permissions.Shortcut(alias)
			if err != nil {
				t.Fatalf("Shortcut(%q): %v", alias, err)
			}
			if err := permissions.Validate(perms); err != nil {
				t.Fatalf("Shortcut(%q) is invalid: %v", alias, err)
			}
			for _, tc := range shortcutCases {
				t.Run(alias+"/"+tc.name, func(t *testing.T) {
					want := map[string]bool{"all": tc.all, "no-delete": tc.noDelete,
						"write-only": tc.writeOnly, "read-only": tc.readOnly}[name]
					ctx := context.Background()
					full := kvtest.OpenStore(t, memory.New(t.Name()))
					for _, item := range repoFixture {
						if err := full.Store(ctx, item, []byte(item)); err != nil {
							t.Fatal(err)
						}
					}
					err := tc.call(ctx, permissions.New(full, perms))
					if want && err != nil {
						t.Errorf("%s: %v, want it allowed", tc.name, err)
					}
					if !want && !errors.Is(err, kv.ErrPermission) {
						t.Errorf("%s: %v, want kv.ErrPermission", tc.name, err)
					}
				})
			}
		}
	}
}

// TestShortcutCopies checks that a caller cannot change a shortcut for
// the next caller.
func TestShortcutCopies(t *testing.T) {
	m, _ := permissions.Shortcut("read-only")
	m[""] = "lrwWD"
	if again, _ := permissions.Shortcut("read-only"); again[""] != "lr" {
		t.Errorf("Shortcut returned a shared map: %q", again)
	}
}

// TestParse checks the values of a --permissions flag.
func TestParse(t *testing.T) {
	noDelete, _ := permissions.Shortcut("no-delete")
	cases := []struct {
		in      string
		want    map[string]string
		wantErr string
	}{
		{"all", map[string]string{"": "lrwWD"}, ""},
		{"no-delete", noDelete, ""},
		{" borgbackup-no-delete\n", noDelete, ""},
		{`{"": "lr", "data": "lrw"}`, map[string]string{"": "lr", "data": "lrw"}, ""},
		{` {"data/01": "lrwWD"} `, map[string]string{"data/01": "lrwWD"}, ""},
		{"append-only", nil, `unknown shortcut "append-only"`},
		{"borgbackup-", nil, "unknown shortcut"},
		{"", nil, "unknown shortcut"},
		{"{}", nil, "grants nothing"},
		{`{"": "lr"`, nil, "not a JSON object"},
		{`{"": 7}`, nil, "not a JSON object"},
		{`{"": "lrq"}`, nil, `letter 'q'`},
		{`{"Data": "lr"}`, nil, `key "Data"`},
	}
	for _, tc := range cases {
		got, err := permissions.Parse(tc.in)
		switch {
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("Parse(%q) = %q, %v; want an error with %s", tc.in, got, err, tc.wantErr)
		case tc.wantErr == "" && (err != nil || !maps.Equal(got, tc.want)):
			t.Errorf("Parse(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

// TestShortcutNames checks the listed names and that the error of an
// unknown name lists them.
func TestShortcutNames(t *testing.T) {
	names := permissions.ShortcutNames()
	if strings.Join(names, ",") != "all,no-delete,read-only,write-only" {
		t.Errorf("ShortcutNames() = %q", names)
	}
	_, err := permissions.Shortcut("nope")
	for _, n := range names {
		if err == nil || !strings.Contains(err.Error(), n) {
			t.Errorf("the error %v does not list %q", err, n)
		}
	}
}

// TestBelowNesting checks the layer where compose puts it, below soft
// delete and nesting, with Borg's no-delete shortcut: it judges the names
// the store holds, so a new pack at nesting level 1 is allowed, and soft
// deleting an archive (a move to archives/NAME.del) is not.
func TestBelowNesting(t *testing.T) {
	ctx := t.Context()
	d := memory.New(t.Name())
	if err := d.Create(ctx); err != nil { // no-delete may not create the store
		t.Fatal(err)
	}
	perms, _ := permissions.Shortcut("no-delete")
	n, err := nesting.New(permissions.New(d, perms), map[string][]int{"": {0}, "packs/": {1}})
	if err != nil {
		t.Fatal(err)
	}
	s := softdelete.New(n)
	if err := s.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer s.Close(ctx)
	for what, err := range map[string]error{
		"store a new pack":    s.Store(ctx, "packs/0123", []byte("p")),
		"store a new archive": s.Store(ctx, "archives/0a1b", []byte("a")),
	} {
		if err != nil {
			t.Errorf("%s: %v", what, err)
		}
	}
	if info, err := d.Info(ctx, "packs/01/0123"); err != nil || !info.Exists {
		t.Errorf("the pack is not at level 1: %+v, %v", info, err)
	}
	for what, err := range map[string]error{
		"overwrite the pack":     s.Store(ctx, "packs/0123", []byte("q")),
		"delete the pack":        s.Delete(ctx, "packs/0123"),
		"soft delete an archive": s.Move(ctx, "archives/0a1b", "", kv.SoftDelete()),
	} {
		if !errors.Is(err, kv.ErrPermission) {
			t.Errorf("%s: %v, want kv.ErrPermission", what, err)
		}
	}
}
