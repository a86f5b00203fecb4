package rest_test

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"testing"

	"github.com/kvcompose/compose/drivers/posixfs"
	"github.com/kvcompose/compose/drivers/rest"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/kvtest"
	"github.com/kvcompose/compose/layers/permissions"
	"github.com/kvcompose/compose/restserver"
)

// TestPermissionsThroughServer makes the same calls on a permissions layer
// in process and through a server that serves one: for every letter and
// every Borg 2 shortcut, each call is denied (kv.ErrPermission, 403 on the
// wire) or allowed alike, and the two stores end alike.
func TestPermissionsThroughServer(t *testing.T) {
	cases := map[string]map[string]string{}
	for _, l := range []string{"l", "r", "w", "W", "D"} {
		// The root lists, so that the client can open the store.
		cases["letter "+l] = map[string]string{"": "l", "packs": l}
	}
	for _, name := range permissions.ShortcutNames() {
		p, err := permissions.Shortcut(name)
		if err != nil {
			t.Fatal(err)
		}
		cases[name] = p
	}
	for name, perms := range cases {
		t.Run(name, func(t *testing.T) {
			local := permissions.New(seeded(t), perms)
			remote := serveLayer(t, permissions.New(seeded(t), perms))
			denied := 0
			for _, c := range permissionCalls {
				lerr, rerr := c.do(t.Context(), local), c.do(t.Context(), remote)
				if errors.Is(lerr, kv.ErrPermission) != errors.Is(rerr, kv.ErrPermission) || (lerr == nil) != (rerr == nil) {
					t.Errorf("%s: in process %v, through the server %v", c.what, lerr, rerr)
				}
				if errors.Is(rerr, kv.ErrPermission) {
					denied++
				}
			}
			if all := name == "all"; all != (denied == 0) {
				t.Errorf("%d calls denied through the server", denied)
			}
		})
	}
}

// permissionCalls use every letter on the seeded items.
var permissionCalls = []struct {
	what string
	do   func(ctx context.Context, b kv.Backend) error
}{
	{"info", func(ctx context.Context, b kv.Backend) error { _, err := b.Info(ctx, "packs/0011"); return err }},
	{"list", func(ctx context.Context, b kv.Backend) error { return kvtest.Drain(b.List(ctx, "packs")) }},
	{"load", func(ctx context.Context, b kv.Backend) error { _, err := b.Load(ctx, "packs/0011"); return err }},
	{"hash", func(ctx context.Context, b kv.Backend) error { _, err := b.Hash(ctx, "packs/0011", ""); return err }},
	{"store new", func(ctx context.Context, b kv.Backend) error { return b.Store(ctx, "packs/0022", []byte("n")) }},
	{"overwrite", func(ctx context.Context, b kv.Backend) error { return b.Store(ctx, "packs/0011", []byte("o")) }},
	{"mkdir", func(ctx context.Context, b kv.Backend) error { return b.Mkdir(ctx, "packs/sub") }},
	{"move", func(ctx context.Context, b kv.Backend) error { return b.Move(ctx, "packs/0033", "packs/0044") }},
	{"delete", func(ctx context.Context, b kv.Backend) error { return b.Delete(ctx, "packs/0055") }},
	{"lock", func(ctx context.Context, b kv.Backend) error { return b.Store(ctx, "locks/l1", []byte("l")) }},
	{"unlock", func(ctx context.Context, b kv.Backend) error { return b.Delete(ctx, "locks/l0") }},
}

// seeded returns an open posixfs store with the items the calls use.
func seeded(t *testing.T) kv.Backend {
	t.Helper()
	d, err := posixfs.New(filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	kvtest.OpenStore(t, d)
	for _, n := range []string{"packs/0011", "packs/0033", "packs/0055", "locks/l0", "config/manifest"} {
		if err := d.Store(t.Context(), n, []byte("v")); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

// serveLayer serves b in process until the test ends and returns an open
// client of it.
func serveLayer(t *testing.T, b kv.Backend) kv.Backend {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- restserver.Serve(ctx, ln, restserver.New(b), "", "") }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	d, err := rest.FromURL("http://" + ln.Addr().String() + "/")
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Open(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close(context.Background()) })
	return d
}
