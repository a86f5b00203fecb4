package kvtest

import (
	"context"
	"strings"
	"testing"

	"github.com/kvcompose/compose/kv"
)

// itemCalls are every item call of the interface on name, for the state and
// name checks; each returns the call's error.
func itemCalls(name string) map[string]func(context.Context, kv.Backend) error {
	return map[string]func(context.Context, kv.Backend) error{
		"info": func(ctx context.Context, b kv.Backend) error { _, err := b.Info(ctx, name); return err },
		"load": func(ctx context.Context, b kv.Backend) error { _, err := b.Load(ctx, name); return err },
		"store": func(ctx context.Context, b kv.Backend) error {
			return b.Store(ctx, name, []byte("v"))
		},
		"delete":    func(ctx context.Context, b kv.Backend) error { return b.Delete(ctx, name) },
		"move-from": func(ctx context.Context, b kv.Backend) error { return b.Move(ctx, name, "ns/to") },
		"move-to":   func(ctx context.Context, b kv.Backend) error { return b.Move(ctx, "ns/from", name) },
		"list": func(ctx context.Context, b kv.Backend) error {
			for _, err := range b.List(ctx, name) {
				if err != nil {
					return err
				}
			}
			return nil
		},
		"mkdir": func(ctx context.Context, b kv.Backend) error { return b.Mkdir(ctx, name) },
		"rmdir": func(ctx context.Context, b kv.Backend) error { return b.Rmdir(ctx, name) },
		"hash":  func(ctx context.Context, b kv.Backend) error { _, err := b.Hash(ctx, name, ""); return err },
		"defrag-source": func(ctx context.Context, b kv.Backend) error {
			_, err := b.Defrag(ctx, []kv.Block{{Name: name, Size: 1}}, kv.Target("ns/target"))
			return err
		},
		"defrag-target": func(ctx context.Context, b kv.Backend) error {
			_, err := b.Defrag(ctx, []kv.Block{{Name: "ns/from", Size: 1}}, kv.Target(name))
			return err
		},
	}
}

func testLifecycle(t *testing.T, newBackend NewFunc) {
	b := newBackend(t)
	c := ctx(t)
	t.Cleanup(func() { _ = b.Close(context.Background()); _ = b.Destroy(context.Background()) })

	// Missing store.
	isErr(t, b.Open(c), kv.ErrNoStore, "open before create")
	isErr(t, b.Destroy(c), kv.ErrNoStore, "destroy before create")
	isErr(t, b.Close(c), kv.ErrNotOpen, "close before open")
	for call, f := range itemCalls("ns/item") {
		isErr(t, f(c, b), kv.ErrNotOpen, "%s on a closed store", call)
	}
	for call, f := range itemCalls("Bad Name") {
		isErr(t, f(c, b), kv.ErrNotOpen, "%s with an invalid name on a closed store (state first)", call)
	}
	_, err := b.Quota(c)
	isErr(t, err, kv.ErrNotOpen, "quota on a closed store")

	// Created, open.
	noErr(t, b.Create(c), "create")
	isErr(t, b.Close(c), kv.ErrNotOpen, "close after create: create does not open")
	noErr(t, b.Open(c), "open")
	isErr(t, b.Create(c), kv.ErrAlreadyOpen, "create on an open store")
	isErr(t, b.Destroy(c), kv.ErrAlreadyOpen, "destroy on an open store")
	isErr(t, b.Open(c), kv.ErrAlreadyOpen, "open on an open store")
	store(t, b, "ns/item", "value")
	noErr(t, b.Close(c), "close")
	isErr(t, b.Close(c), kv.ErrNotOpen, "close twice")

	// Existing, not empty.
	isErr(t, b.Create(c), kv.ErrExists, "create on a store with items")
	noErr(t, b.Open(c), "open again")
	load(t, b, "ns/item", "value")
	noErr(t, b.Close(c), "close")

	// Destroyed.
	noErr(t, b.Destroy(c), "destroy")
	isErr(t, b.Open(c), kv.ErrNoStore, "open after destroy")
	isErr(t, b.Destroy(c), kv.ErrNoStore, "destroy twice")

	// Created anew: empty.
	noErr(t, b.Create(c), "create after destroy")
	noErr(t, b.Open(c), "open the new store")
	exists(t, b, "ns/item", false)
	for _, name := range list(t, b, "") {
		if !strings.HasSuffix(name, "/") {
			t.Errorf("a new store lists the item %q", name)
		}
	}
}
