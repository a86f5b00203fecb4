package kvtest

import (
	"context"
	"errors"
	"testing"

	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

// NestFunc puts a nesting layer with levels (nil: the store's own) over
// drv, as nesting.New does.
type NestFunc func(drv kv.Backend, levels map[string][]int) (kv.Backend, error)

// TestLayout checks, over drivers made by newBackend, that a store knows
// its layout: the levels a nesting layer (made by nest) records on Create
// are used by a layer given none on Open, levels that contradict them make
// Open fail, and a store without a record in Borg 2's shape (made by the
// driver alone) opens with the levels its items are at.
func TestLayout(t *testing.T, newBackend NewFunc, nest NestFunc) {
	layer := func(t *testing.T, drv kv.Backend, levels map[string][]int) kv.Backend {
		t.Helper()
		b, err := nest(drv, levels)
		noErr(t, err, "nesting layer with %v", levels)
		return b
	}
	cleanup := func(t *testing.T, drv kv.Backend) {
		t.Cleanup(func() { _ = drv.Close(context.Background()); _ = drv.Destroy(context.Background()) })
	}
	t.Run("RoundTrip", func(t *testing.T) {
		c := ctx(t)
		drv := newBackend(t)
		cleanup(t, drv)
		noErr(t, layer(t, drv, map[string][]int{"config/": {0}, "data/": {1}}).Create(c), "create with levels")
		noErr(t, drv.Open(c), "open the driver")
		_, err := drv.Info(c, backendkit.LayoutRecord, kv.Hidden())
		noErr(t, drv.Close(c), "close the driver")
		if errors.Is(err, kv.ErrUnsupported) {
			t.Skipf("the backend keeps no hidden records (a REST client): %v", err)
		}
		noErr(t, err, "info %s", backendkit.LayoutRecord)

		b := layer(t, drv, nil)
		noErr(t, b.Open(c), "open without levels")
		store(t, b, "data/abcdef", "v")
		store(t, b, "config/settings", "s")
		noErr(t, b.Close(c), "close")

		noErr(t, drv.Open(c), "open the driver")
		exists(t, drv, "data/ab/abcdef", true)
		exists(t, drv, "data/abcdef", false)
		for _, name := range list(t, drv, "") {
			if name != "config/" && name != "data/" {
				t.Errorf("the root lists %q: the records must be hidden", name)
			}
		}
		noErr(t, drv.Close(c), "close the driver")

		b = layer(t, drv, map[string][]int{"data/": {2}})
		if err := b.Open(c); err == nil {
			_ = b.Close(c)
			t.Error("open with levels data/=2 on a store recorded with data/=1 succeeded")
		}
		b = layer(t, drv, map[string][]int{"data/": {1}})
		noErr(t, b.Open(c), "open with the recorded levels of data/")
		load(t, b, "data/abcdef", "v")
		noErr(t, b.Close(c), "close")
	})
	t.Run("Borg2Shape", func(t *testing.T) {
		c := ctx(t)
		drv := newBackend(t)
		cleanup(t, drv)
		noErr(t, drv.Create(c), "create")
		noErr(t, drv.Open(c), "open")
		for _, dir := range []string{"archives", "config", "keys", "locks", "packs/00", "packs/ab", "packs/ff"} {
			noErr(t, drv.Mkdir(c, dir), "mkdir %s", dir)
		}
		store(t, drv, "config/id", "id")
		store(t, drv, "packs/ab/abcdef", "pack")
		err := drv.Delete(c, backendkit.StoreRecord, kv.Hidden())
		if err != nil && !errors.Is(err, kv.ErrNotFound) {
			_ = drv.Close(c)
			t.Skipf("the backend gives no access to %s (a REST client): %v", backendkit.StoreRecord, err)
		}
		noErr(t, drv.Close(c), "close")

		b := layer(t, drv, nil)
		noErr(t, b.Open(c), "open a store in Borg 2's shape without levels")
		load(t, b, "packs/abcdef", "pack")
		load(t, b, "config/id", "id")
		store(t, b, "packs/012345", "new")
		noErr(t, b.Close(c), "close")
		noErr(t, drv.Open(c), "open the driver")
		exists(t, drv, "packs/01/012345", true)
		noErr(t, drv.Close(c), "close the driver")

		b = layer(t, drv, map[string][]int{"packs/": {0}})
		if err := b.Open(c); err == nil {
			_ = b.Close(c)
			t.Error("open with packs/=0 of a store holding packs at level 1 succeeded")
		}
	})
}
