package kvtest

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

// unmark removes the backendkit.StoreRecord of the open store b and closes it, as
// if another program had made the store; it skips the test if the backend
// gives no access to hidden items.
func unmark(t *testing.T, b kv.Backend) {
	t.Helper()
	err := b.Delete(ctx(t), backendkit.StoreRecord, kv.Hidden())
	if err != nil && !errors.Is(err, kv.ErrNotFound) {
		_ = b.Close(ctx(t))
		t.Skipf("the backend gives no access to %s (a REST client): %v", backendkit.StoreRecord, err)
	}
	noErr(t, err, "delete %s that Create writes", backendkit.StoreRecord)
	noErr(t, b.Close(ctx(t)), "close")
}

// testRecognize checks that Open and Destroy refuse what no store would
// hold and remove nothing, and accept a store without backendkit.StoreRecord in
// the shape borgstore and Borg 2 give theirs.
func testRecognize(t *testing.T, newBackend NewFunc) {
	c := ctx(t)
	t.Run("Foreign", func(t *testing.T) {
		b := newBackend(t)
		t.Cleanup(func() { _ = b.Close(context.Background()); _ = b.Destroy(context.Background()) })
		noErr(t, b.Create(c), "create")
		noErr(t, b.Open(c), "open")
		store(t, b, "ns/item", "value")
		store(t, b, "notes", "a file at the base, which no unmarked store holds")
		unmark(t, b)
		for op, f := range map[string]func(context.Context) error{"open": b.Open, "destroy": b.Destroy} {
			err := f(c)
			isErr(t, err, kv.ErrNotAStore, op+" of a directory holding a foreign file")
			if err != nil && !strings.Contains(err.Error(), `"notes"`) {
				t.Errorf("%s: %v does not name the foreign entry \"notes\"", op, err)
			}
		}
		isErr(t, b.Create(c), kv.ErrExists, "create after the refused destroy (nothing was removed)")
	})
	t.Run("BorgstoreShape", func(t *testing.T) {
		b := newBackend(t)
		t.Cleanup(func() { _ = b.Close(context.Background()); _ = b.Destroy(context.Background()) })
		noErr(t, b.Create(c), "create")
		noErr(t, b.Open(c), "open")
		noErr(t, b.Mkdir(c, "data/ff"), "mkdir data/ff")
		store(t, b, "data/00/00aa", "a")
		store(t, b, "data/00aa.del", "soft-deleted")
		store(t, b, "config/settings", "s")
		unmark(t, b)
		noErr(t, b.Open(c), "open a store in borgstore's shape without %s", backendkit.StoreRecord)
		load(t, b, "config/settings", "s")
		noErr(t, b.Close(c), "close")
		noErr(t, b.Destroy(c), "destroy a store in borgstore's shape")
		isErr(t, b.Open(c), kv.ErrNoStore, "open after destroy")
	})
	t.Run("Empty", func(t *testing.T) {
		b := newBackend(t)
		t.Cleanup(func() { _ = b.Close(context.Background()); _ = b.Destroy(context.Background()) })
		noErr(t, b.Create(c), "create")
		noErr(t, b.Open(c), "open a store that Create made and nothing wrote")
		noErr(t, b.Close(c), "close")
		noErr(t, b.Destroy(c), "destroy")
	})
}
