package kvtest

import (
	"slices"
	"testing"

	"github.com/kvcompose/compose/kv"
)

// testRecursive checks kv.Recursive: a driver whose Properties say Flat
// lists every item below a directory, at any depth, by relative name in
// byte order, without directories; any other refuses the option with
// kv.ErrUnsupported.
func testRecursive(t *testing.T, b kv.Backend) {
	c := ctx(t)
	store(t, b, "rec/bb", "4")
	if !kv.PropertiesOf(b).Flat {
		err := Drain(b.List(c, "rec", kv.Recursive()))
		isErr(t, err, kv.ErrUnsupported, "list with recursive on a driver that is not flat")
		return
	}
	store(t, b, "rec/b/d/e", "333")
	store(t, b, "rec/a", "1")
	store(t, b, "rec/b.x", "22")
	store(t, b, "rec/b/c", "")
	store(t, b, "rec-other/x", "v")
	store(t, b, "recx", "v")
	noErr(t, b.Mkdir(c, "rec/empty"), "mkdir")
	var names []string
	var sizes []int64
	for info, err := range b.List(c, "rec/", kv.Recursive()) {
		noErr(t, err, "list rec recursive")
		if info.Directory || !info.Exists {
			t.Errorf("list rec recursive yielded %+v, want only existing items", info)
		}
		names = append(names, info.Name)
		sizes = append(sizes, info.Size)
	}
	if want := []string{"a", "b.x", "b/c", "b/d/e", "bb"}; !slices.Equal(names, want) {
		t.Errorf("list rec recursive = %q, want %q", names, want)
	}
	if want := []int64{1, 2, 0, 3, 1}; !slices.Equal(sizes, want) {
		t.Errorf("list rec recursive sizes = %v, want %v", sizes, want)
	}
	// Stopping early is allowed; a missing directory is not found.
	for _, err := range b.List(c, "rec", kv.Recursive()) {
		noErr(t, err, "list rec recursive")
		break
	}
	isErr(t, Drain(b.List(c, "nothere", kv.Recursive())), kv.ErrNotFound, "list a missing directory recursively")
}
