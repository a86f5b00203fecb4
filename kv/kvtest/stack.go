package kvtest

import (
	"errors"
	"slices"
	"testing"

	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

// StackFunc returns a fresh, not yet created stack over its own, empty
// location, in which a softdelete layer sits above a nesting layer
// configured with levels (other layers may sit anywhere around them).
type StackFunc func(t *testing.T, levels map[string][]int) kv.Backend

// TestStack checks, through the kv.Backend API alone, the nesting and soft
// delete rules of docs/semantics.md on stacks made by newStack: items of a
// nested namespace are found again and listed by key, levels are honoured
// (observed by listing the nesting directories, which a stack lists as they
// are), several levels are probed during a migration, kv.ChangeLevel moves
// to the last level, and the soft delete, undelete and deleted views work.
//
// TestStack creates two stores with a namespace at level 2; when the driver
// benefits from pre-creation, each costs 65,536 Mkdir calls.
func TestStack(t *testing.T, newStack StackFunc) {
	t.Run("Nested", func(t *testing.T) {
		b := stackSetup(t, newStack, map[string][]int{"config/": {0}, "data/": {2}})
		t.Run("EmptyNamespace", func(t *testing.T) { stackEmptyNamespace(t, b) })
		t.Run("RoundTrip", func(t *testing.T) { stackRoundTrip(t, b) })
		t.Run("Levels", func(t *testing.T) { stackLevels(t, b) })
		t.Run("ListKeys", func(t *testing.T) { stackListKeys(t, b) })
		t.Run("NoNamespace", func(t *testing.T) { stackNoNamespace(t, b) })
		t.Run("Aliases", func(t *testing.T) { stackAliases(t, b) })
		t.Run("SoftDelete", func(t *testing.T) { stackSoftDelete(t, b) })
		t.Run("DeletedView", func(t *testing.T) { stackDeletedView(t, b) })
		t.Run("Defrag", func(t *testing.T) { stackDefrag(t, b) })
		t.Run("Stream", func(t *testing.T) { stackStream(t, b) })
	})
	// "data/ab/" at level 0 is where key "ab..." lives at level 1 of
	// "data/": it lets the test put an item at the old level.
	t.Run("Migration", func(t *testing.T) {
		b := stackSetup(t, newStack, map[string][]int{"data/": {1, 2}, "data/ab/": {0}})
		stackMigration(t, b)
	})
}

// stackSetup makes, creates and opens a stack, and closes and destroys it
// when the test ends.
func stackSetup(t *testing.T, newStack StackFunc, levels map[string][]int) kv.Backend {
	t.Helper()
	return OpenStore(t, newStack(t, levels))
}

// stackList returns the names List(dir, opts) yields, failing on
// directories unless dirs is true. A missing directory lists as empty.
func stackList(t *testing.T, b kv.Backend, dir string, dirs bool, opts ...kv.Option) []string {
	t.Helper()
	var names []string
	for info, err := range b.List(t.Context(), dir, opts...) {
		if errors.Is(err, kv.ErrNotFound) && names == nil {
			return nil
		}
		noErr(t, err, "list "+dir)
		if info.Directory && !dirs {
			t.Errorf("list %s %v yielded directory %q", dir, opts, info.Name)
		}
		names = append(names, info.Name)
	}
	return names
}

func stackListed(t *testing.T, b kv.Backend, dir, name string, want bool, opts ...kv.Option) {
	t.Helper()
	if got := stackList(t, b, dir, true, opts...); slices.Contains(got, name) != want {
		t.Errorf("list %s %v = %q: contains %q should be %v", dir, opts, got, name, want)
	}
}

// stackEmptyNamespace checks that the namespaces of a store made by Create
// list empty, without an error, before their first item and after their
// last one is deleted, on every driver (object stores too).
func stackEmptyNamespace(t *testing.T, b kv.Backend) {
	c := ctx(t)
	for _, tc := range []struct{ ns, name string }{
		{"data", "data/ee0123456789abcdef"},
		{"config", "config/emptied"},
	} {
		if got := list(t, b, tc.ns); len(got) != 0 {
			t.Errorf("list %s of a new store: %q, want nothing", tc.ns, got)
		}
		store(t, b, tc.name, "x")
		noErr(t, b.Delete(c, tc.name), "delete %s", tc.name)
		if got := list(t, b, tc.ns); len(got) != 0 {
			t.Errorf("list %s after its last item was deleted: %q, want nothing", tc.ns, got)
		}
	}
}

func stackRoundTrip(t *testing.T, b kv.Backend) {
	ctx := t.Context()
	for _, name := range []string{"data/0123456789abcdef", "config/settings", "config/sub/item"} {
		isItem(t, b, name, false)
		store(t, b, name, []byte("one"))
		isItem(t, b, name, true)
		load(t, b, name, []byte("one"))
		load(t, b, name, []byte("n"), kv.Range(1, 1))
		store(t, b, name, []byte("second"))
		load(t, b, name, []byte("second"))
		want, _ := backendkit.HashBytes(kv.DefaultHash, []byte("second"))
		if got, err := b.Hash(ctx, name, kv.DefaultHash); err != nil || got != want {
			t.Errorf("hash %s = %q, %v; want %q", name, got, err, want)
		}
		noErr(t, b.Delete(ctx, name), "delete "+name)
		isItem(t, b, name, false)
		_, err := b.Load(ctx, name)
		isErr(t, err, kv.ErrNotFound, "load after delete")
		isErr(t, b.Delete(ctx, name), kv.ErrNotFound, "delete after delete")
	}
}

func stackLevels(t *testing.T, b kv.Backend) {
	ctx := t.Context()
	store(t, b, "data/12345678", []byte("x"))
	store(t, b, "config/12345678", []byte("y"))
	stackListed(t, b, "data/12/34", "12345678", true)
	stackListed(t, b, "data", "12345678", true)
	stackListed(t, b, "config", "12345678", true)
	stackListed(t, b, "config/12/34", "12345678", false)
	// Change level on a single level is a no-op, on a missing item an error.
	noErr(t, b.Move(ctx, "data/12345678", "data/12345678", kv.ChangeLevel()), "change level")
	stackListed(t, b, "data/12/34", "12345678", true)
	isErr(t, b.Move(ctx, "data/87654321", "data/87654321", kv.ChangeLevel()), kv.ErrNotFound,
		"change level of a missing item")
	noErr(t, b.Delete(ctx, "data/12345678"), "delete")
	noErr(t, b.Delete(ctx, "config/12345678"), "delete")
}

func stackListKeys(t *testing.T, b kv.Backend) {
	var keys []string
	for i := range 40 {
		key, _ := backendkit.HashBytes("md5", []byte{byte(i)})
		keys = append(keys, key)
		store(t, b, "data/"+key, []byte(key))
	}
	store(t, b, "config/other", "")
	slices.Sort(keys)
	if got := stackList(t, b, "data", false); !slices.Equal(got, keys) {
		t.Errorf("list data = %q,\nwant sorted keys %q", got, keys)
	}
	for _, key := range keys {
		noErr(t, b.Delete(t.Context(), "data/"+key), "delete")
	}
	noErr(t, b.Delete(t.Context(), "config/other"), "delete")
	if got := stackList(t, b, "data", false); len(got) != 0 {
		t.Errorf("list data after deleting all = %q", got)
	}
}

func stackNoNamespace(t *testing.T, b kv.Backend) {
	ctx := t.Context()
	for _, name := range []string{"other/0123456789", "data/12" /* key too short */} {
		isErr(t, b.Store(ctx, name, []byte("x")), kv.ErrInvalidName, "store "+name)
		_, err := b.Load(ctx, name)
		isErr(t, err, kv.ErrInvalidName, "load "+name)
		_, err = b.Info(ctx, name)
		isErr(t, err, kv.ErrInvalidName, "info "+name)
	}
	for _, dir := range []string{"", "data", "config"} {
		if dir != "" {
			noErr(t, b.Mkdir(ctx, dir), "mkdir "+dir)
		}
		if info, err := b.Info(ctx, dir); err != nil || !info.Directory {
			t.Errorf("info %q = %+v, %v; want a directory", dir, info, err)
		}
	}
}

// stackAliases checks that the spellings a file system takes for another
// name ("." and empty segments) are kv.ErrInvalidName through the whole
// stack, soft delete and nesting included, and change nothing.
func stackAliases(t *testing.T, b kv.Backend) {
	ctx := t.Context()
	store(t, b, "config/abcdef0123", "v")
	for _, name := range []string{
		"./config/abcdef0123", "config/./abcdef0123", "config//abcdef0123", "config/abcdef0123/.",
		"./data/abcdef0123", "data/./abcdef0123", "data//abcdef0123", ".", "/.",
	} {
		isErr(t, b.Store(ctx, name, []byte("alias")), kv.ErrInvalidName, "store "+name)
		isErr(t, b.Delete(ctx, name), kv.ErrInvalidName, "delete "+name)
		isErr(t, b.Move(ctx, name, "", kv.SoftDelete()), kv.ErrInvalidName, "soft delete "+name)
		isErr(t, b.Move(ctx, name, "", kv.Undelete()), kv.ErrInvalidName, "undelete "+name)
		isErr(t, b.Move(ctx, "config/abcdef0123", name), kv.ErrInvalidName, "move to "+name)
		_, err := b.Load(ctx, name)
		isErr(t, err, kv.ErrInvalidName, "load "+name)
		isErr(t, Drain(b.List(ctx, name)), kv.ErrInvalidName, "list "+name)
	}
	load(t, b, "config/abcdef0123", "v")
	noErr(t, b.Delete(ctx, "config/abcdef0123"), "delete config/abcdef0123")
}

func stackSoftDelete(t *testing.T, b kv.Backend) {
	ctx := t.Context()
	for _, name := range []string{"data/abcdef0123", "config/abcdef0123"} {
		soft := func(opt kv.Option) error { return b.Move(ctx, name, "", opt) }
		isErr(t, soft(kv.SoftDelete()), kv.ErrNotFound, "soft delete missing")
		isErr(t, soft(kv.Undelete()), kv.ErrNotFound, "undelete missing")
		store(t, b, name, []byte("v1"))
		noErr(t, soft(kv.SoftDelete()), "soft delete")
		isItem(t, b, name, false)
		isItem(t, b, name, true, kv.Deleted())
		load(t, b, name, []byte("v1"), kv.Deleted())
		load(t, b, name, []byte("1"), kv.Deleted(), kv.Range(-1, -1))
		want, _ := backendkit.HashBytes("sha512", []byte("v1"))
		if got, err := b.Hash(ctx, name, "sha512", kv.Deleted()); err != nil || got != want {
			t.Errorf("hash deleted = %q, %v; want %q", got, err, want)
		}
		// A live and a deleted version coexist; soft delete overwrites the
		// older deleted version, undelete the live one.
		store(t, b, name, []byte("v2"))
		load(t, b, name, []byte("v2"))
		load(t, b, name, []byte("v1"), kv.Deleted())
		noErr(t, soft(kv.SoftDelete()), "soft delete again")
		load(t, b, name, []byte("v2"), kv.Deleted())
		store(t, b, name, []byte("v3"))
		noErr(t, soft(kv.Undelete()), "undelete")
		load(t, b, name, []byte("v2"))
		isItem(t, b, name, false, kv.Deleted())
		// Move of deleted versions renames them.
		other := name[:len(name)-1] + "f"
		noErr(t, soft(kv.SoftDelete()), "soft delete")
		noErr(t, b.Move(ctx, name, other, kv.Deleted()), "move deleted")
		isItem(t, b, name, false, kv.Deleted())
		load(t, b, other, []byte("v2"), kv.Deleted())
		isItem(t, b, other, false)
		// Delete with Deleted removes the deleted version only; a plain
		// Delete is hard and leaves no deleted version.
		store(t, b, other, []byte("live"))
		noErr(t, b.Delete(ctx, other, kv.Deleted()), "delete deleted")
		isItem(t, b, other, false, kv.Deleted())
		load(t, b, other, []byte("live"))
		isErr(t, b.Delete(ctx, other, kv.Deleted()), kv.ErrNotFound, "delete deleted twice")
		noErr(t, b.Delete(ctx, other), "hard delete")
		isItem(t, b, other, false)
		isItem(t, b, other, false, kv.Deleted())
		_, err := b.Load(ctx, other, kv.Deleted())
		isErr(t, err, kv.ErrNotFound, "load deleted after hard delete")
	}
}

func stackDeletedView(t *testing.T, b kv.Backend) {
	ctx := t.Context()
	live, gone, both := "data/aa0001", "data/bb0002", "data/cc0003"
	for _, name := range []string{live, gone, both} {
		store(t, b, name, []byte(name))
	}
	noErr(t, b.Move(ctx, gone, "", kv.SoftDelete()), "soft delete")
	noErr(t, b.Move(ctx, both, "", kv.SoftDelete()), "soft delete")
	store(t, b, both, []byte("new"))
	if got, want := stackList(t, b, "data", false), []string{"aa0001", "cc0003"}; !slices.Equal(got, want) {
		t.Errorf("list data = %q, want %q", got, want)
	}
	if got, want := stackList(t, b, "data", false, kv.Deleted()), []string{"bb0002", "cc0003"}; !slices.Equal(got, want) {
		t.Errorf("list data deleted = %q, want %q", got, want)
	}
	// The deleted version sits at the item's level.
	stackListed(t, b, "data/bb/00", "bb0002", true, kv.Deleted())
	stackListed(t, b, "data/bb/00", "bb0002", false)
	for _, name := range []string{live, both} {
		noErr(t, b.Delete(ctx, name), "delete")
	}
	for _, name := range []string{gone, both} {
		noErr(t, b.Delete(ctx, name, kv.Deleted()), "delete deleted")
	}
	if got := stackList(t, b, "data", false, kv.Deleted()); len(got) != 0 {
		t.Errorf("list data deleted after deleting all = %q", got)
	}
}

func stackDefrag(t *testing.T, b kv.Backend) {
	ctx := t.Context()
	store(t, b, "data/00aa", []byte("0123456789"))
	store(t, b, "data/00bb", []byte("abcdef"))
	blocks := []kv.Block{{Name: "data/00aa", Offset: 2, Size: 3}, {Name: "data/00bb", Offset: 4, Size: 2}}
	want := []byte("234ef")
	name, err := b.Defrag(ctx, blocks, kv.Target("data/1234"))
	if err != nil || name != "data/1234" {
		t.Fatalf("defrag to data/1234 = %q, %v", name, err)
	}
	load(t, b, name, want)
	stackListed(t, b, "data/12/34", "1234", true)
	sum, _ := backendkit.HashBytes("sha1", want)
	name, err = b.Defrag(ctx, blocks, kv.TargetHash("sha1"))
	if err != nil || name != "data/"+sum {
		t.Fatalf("defrag by hash = %q, %v; want data/%s", name, err, sum)
	}
	load(t, b, name, want)
	stackListed(t, b, "data/"+sum[:2]+"/"+sum[2:4], sum, true)
	// With Deleted the sources are soft-deleted versions; the target is live.
	noErr(t, b.Move(ctx, "data/00aa", "", kv.SoftDelete()), "soft delete")
	name, err = b.Defrag(ctx, blocks[:1], kv.Deleted(), kv.Target("data/5678"))
	if err != nil || name != "data/5678" {
		t.Fatalf("defrag deleted = %q, %v", name, err)
	}
	load(t, b, name, []byte("234"))
	_, err = b.Defrag(ctx, []kv.Block{{Name: "data/00bb", Offset: 4, Size: 5}}, kv.Target("data/9999"))
	isErr(t, err, kv.ErrReadRange, "defrag of a short block")
	isItem(t, b, "data/9999", false)
	for _, n := range []string{"data/1234", "data/" + sum, "data/5678", "data/00bb"} {
		noErr(t, b.Delete(ctx, n), "delete "+n)
	}
	noErr(t, b.Delete(ctx, "data/00aa", kv.Deleted()), "delete deleted")
}

func stackMigration(t *testing.T, b kv.Backend) {
	ctx := t.Context()
	old, key := "data/abcdef01", "abcdef01"
	store(t, b, "data/ab/"+key, []byte("v1")) // level 1 of "data/"
	isItem(t, b, old, true)
	load(t, b, old, []byte("v1"))
	// Overwriting keeps the item at its level; new items go to the last.
	store(t, b, old, []byte("v2"))
	load(t, b, "data/ab/"+key, []byte("v2"))
	stackListed(t, b, "data/ab/cd", key, false)
	store(t, b, "data/12345678", []byte("new"))
	stackListed(t, b, "data/12/34", "12345678", true)
	// Listed in order across levels: a level-2 key before a level-1 key of
	// the same level-1 directory.
	store(t, b, "data/ab00ffff", []byte("new"))
	got := stackList(t, b, "data", false)
	if want := []string{"12345678", "ab00ffff", key}; !slices.Equal(got, want) {
		t.Errorf("list data = %q, want %q", got, want)
	}
	// Soft delete and undelete find the item at the old level.
	noErr(t, b.Move(ctx, old, "", kv.SoftDelete()), "soft delete")
	isItem(t, b, old, false)
	load(t, b, old, []byte("v2"), kv.Deleted())
	noErr(t, b.Move(ctx, old, "", kv.Undelete()), "undelete")
	// Change level moves it to the last level, once.
	for range 2 {
		noErr(t, b.Move(ctx, old, old, kv.ChangeLevel()), "change level")
		load(t, b, old, []byte("v2"))
		stackListed(t, b, "data/ab/cd", key, true)
		isItem(t, b, "data/ab/"+key, false)
	}
	isErr(t, b.Move(ctx, "data/ab000000", "data/ab000000", kv.ChangeLevel()), kv.ErrNotFound,
		"change level of a missing item")
	sum, _ := backendkit.HashBytes(kv.DefaultHash, []byte("v2new"))
	name, err := b.Defrag(ctx, []kv.Block{{Name: old, Size: 2}, {Name: "data/12345678", Size: 3}})
	if err != nil || name != "data/"+sum {
		t.Fatalf("defrag by hash = %q, %v; want data/%s", name, err, sum)
	}
	stackListed(t, b, "data/"+sum[:2]+"/"+sum[2:4], sum, true)
}
