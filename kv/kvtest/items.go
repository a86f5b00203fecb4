package kvtest

import (
	"slices"
	"testing"

	"github.com/kvcompose/compose/kv"
)

func testItems(t *testing.T, newBackend NewFunc) {
	b := OpenStore(t, newBackend(t))
	t.Run("Info", func(t *testing.T) { testInfo(t, b) })
	t.Run("Missing", func(t *testing.T) { testMissing(t, b) })
	t.Run("Store", func(t *testing.T) { testStore(t, b) })
	t.Run("Buffers", func(t *testing.T) { testBuffers(t, b) })
	t.Run("Delete", func(t *testing.T) { testDelete(t, b) })
	t.Run("Move", func(t *testing.T) { testMove(t, b) })
	t.Run("Dirs", func(t *testing.T) { testDirs(t, b) })
	t.Run("EmptyDir", func(t *testing.T) { testEmptyDir(t, b) })
	t.Run("List", func(t *testing.T) { testList(t, OpenStore(t, newBackend(t))) })
}

func testInfo(t *testing.T, b kv.Backend) {
	c := ctx(t)
	store(t, b, "info/item", "12345")
	info, err := b.Info(c, "info/item")
	noErr(t, err, "info of an item")
	if want := (kv.ItemInfo{Name: "info/item", Exists: true, Size: 5, Atime: info.Atime}); info != want {
		t.Errorf("info of an item: %+v, want %+v", info, want)
	}
	info, err = b.Info(c, "info")
	noErr(t, err, "info of a directory")
	if !info.Exists || !info.Directory {
		t.Errorf("info of a directory: %+v, want an existing directory", info)
	}
	info, err = b.Info(c, "info/missing")
	noErr(t, err, "info of a missing item")
	if info.Exists {
		t.Errorf("info of a missing item: %+v, want Exists false", info)
	}
	info, err = b.Info(c, "info/item/below")
	noErr(t, err, "info below an item")
	if info.Exists {
		t.Errorf("info below an item: %+v, want Exists false", info)
	}
}

func testMissing(t *testing.T, b kv.Backend) {
	c := ctx(t)
	_, err := b.Load(c, "missing/item")
	isErr(t, err, kv.ErrNotFound, "load of a missing item")
	isErr(t, b.Delete(c, "missing/item"), kv.ErrNotFound, "delete of a missing item")
	isErr(t, b.Move(c, "missing/item", "missing/to"), kv.ErrNotFound, "move of a missing item")
	isErr(t, b.Rmdir(c, "missing/dir"), kv.ErrNotFound, "rmdir of a missing directory")
	_, err = b.Hash(c, "missing/item", "")
	isErr(t, err, kv.ErrNotFound, "hash of a missing item")
	n := 0
	for _, err := range b.List(c, "missing/dir") {
		isErr(t, err, kv.ErrNotFound, "list of a missing directory")
		n++
	}
	if n != 1 {
		t.Errorf("list of a missing directory yielded %d times, want one error", n)
	}
	exists(t, b, "missing/to", false)
}

func testStore(t *testing.T, b kv.Backend) {
	store(t, b, "store/item", "first")
	store(t, b, "store/item", "second, longer")
	load(t, b, "store/item", "second, longer")
	store(t, b, "store/item", "3rd")
	load(t, b, "store/item", "3rd")
	store(t, b, "store/empty", "")
	load(t, b, "store/empty", "")
	store(t, b, "store/deep/er/and/deeper/item", "parents made on demand")
	load(t, b, "store/deep/er/and/deeper/item", "parents made on demand")
	store(t, b, "top", "at the root")
	load(t, b, "top", "at the root")
	noErr(t, b.Delete(ctx(t), "top"), "delete top")
}

func testBuffers(t *testing.T, b kv.Backend) {
	c := ctx(t)
	buf := []byte("original")
	noErr(t, b.Store(c, "buffers/item", buf), "store")
	copy(buf, "CHANGED!")
	load(t, b, "buffers/item", "original")
	got, err := b.Load(c, "buffers/item")
	noErr(t, err, "load")
	copy(got, "CHANGED!")
	load(t, b, "buffers/item", "original")
}

func testDelete(t *testing.T, b kv.Backend) {
	store(t, b, "delete/item", "v")
	store(t, b, "delete/other", "w")
	noErr(t, b.Delete(ctx(t), "delete/item"), "delete")
	exists(t, b, "delete/item", false)
	isErr(t, b.Delete(ctx(t), "delete/item"), kv.ErrNotFound, "delete twice")
	load(t, b, "delete/other", "w")
	noErr(t, b.Mkdir(ctx(t), "delete/dir"), "mkdir")
	if err := b.Delete(ctx(t), "delete/dir"); err == nil {
		t.Errorf("delete of a directory succeeded, want an error")
	}
	exists(t, b, "delete/dir", true)
}

func testMove(t *testing.T, b kv.Backend) {
	c := ctx(t)
	store(t, b, "move/a", "A")
	noErr(t, b.Move(c, "move/a", "move/b"), "move to a new name")
	exists(t, b, "move/a", false)
	load(t, b, "move/b", "A")

	store(t, b, "move/c", "C")
	noErr(t, b.Move(c, "move/c", "move/b"), "move over an existing item")
	load(t, b, "move/b", "C")
	exists(t, b, "move/c", false)

	noErr(t, b.Move(c, "move/b", "move/new/parents/b"), "move into missing parents")
	load(t, b, "move/new/parents/b", "C")
	exists(t, b, "move/b", false)
}

func testDirs(t *testing.T, b kv.Backend) {
	c := ctx(t)
	noErr(t, b.Mkdir(c, "dirs/a/b/c"), "mkdir with parents")
	noErr(t, b.Mkdir(c, "dirs/a/b/c"), "mkdir of an existing directory")
	for _, d := range []string{"dirs", "dirs/a", "dirs/a/b", "dirs/a/b/c"} {
		info, err := b.Info(c, d)
		noErr(t, err, "info %q", d)
		if !info.Directory {
			t.Errorf("info %q: %+v, want a directory", d, info)
		}
	}
	noErr(t, b.Rmdir(c, "dirs/a/b/c"), "rmdir of an empty directory")
	exists(t, b, "dirs/a/b/c", false)
	store(t, b, "dirs/a/b/item", "kept")
	if err := b.Rmdir(c, "dirs/a/b"); err == nil {
		t.Errorf("rmdir of a directory with an item succeeded, want an error")
	}
	load(t, b, "dirs/a/b/item", "kept")
}

// testEmptyDir checks that a directory made by Mkdir lists empty, without
// an error, once its last item is deleted or moved away: on every driver,
// object stores included, a namespace that Create made stays.
func testEmptyDir(t *testing.T, b kv.Backend) {
	c := ctx(t)
	for _, dir := range []string{"emptied", "emptied/sub"} {
		noErr(t, b.Mkdir(c, dir), "mkdir %q", dir)
		if got := list(t, b, dir); len(got) != 0 {
			t.Errorf("list %q after mkdir: %q, want nothing", dir, got)
		}
		store(t, b, dir+"/item", "x")
		noErr(t, b.Delete(c, dir+"/item"), "delete %s/item", dir)
		if got := list(t, b, dir); len(got) != 0 {
			t.Errorf("list %q after its last item was deleted: %q, want nothing", dir, got)
		}
		store(t, b, dir+"/item", "x")
		noErr(t, b.Move(c, dir+"/item", "elsewhere/"+dir+"-item"), "move %s/item away", dir)
		if got := list(t, b, dir); len(got) != 0 {
			t.Errorf("list %q after its last item was moved away: %q, want nothing", dir, got)
		}
		info, err := b.Info(c, dir)
		noErr(t, err, "info %q", dir)
		if !info.Exists || !info.Directory {
			t.Errorf("info %q of an emptied directory: %+v, want an existing directory", dir, info)
		}
	}
}

func testList(t *testing.T, b kv.Backend) {
	c := ctx(t)
	for _, name := range []string{"ns/b", "ns/a", "ns/c-1", "ns/c", "ns/c0", "ns/sub/deeper/x", "ns/sub/y", "other/z"} {
		store(t, b, name, name)
	}
	noErr(t, b.Mkdir(c, "ns/empty"), "mkdir")
	got := list(t, b, "ns")
	want := []string{"a", "b", "c", "c-1", "c0", "empty/", "sub/"}
	if !slices.Equal(got, want) {
		t.Errorf("list ns: %q, want %q (non-recursive, base names, byte order)", got, want)
	}
	for it, err := range b.List(c, "ns") {
		noErr(t, err, "list ns")
		if it.Name == "b" && (it.Size != 4 || !it.Exists) {
			t.Errorf("list ns: %+v, want size 4 and Exists", it)
		}
	}
	root := list(t, b, "")
	for _, want := range []string{"ns/", "other/"} {
		if !slices.Contains(root, want) {
			t.Errorf("list of the root: %q lacks %q", root, want)
		}
	}
	// A caller that stops early stops the listing.
	n := 0
	for range b.List(c, "ns") {
		n++
		break
	}
	if n != 1 {
		t.Errorf("list ns: %d entries after break", n)
	}
}
