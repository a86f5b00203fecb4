package rest_test

import (
	"bytes"
	"errors"
	"path/filepath"
	"testing"

	"github.com/kvcompose/compose/drivers/posixfs"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/kvtest"
)

// TestServePermissions serves a store with --permissions no-delete (Borg
// 2's append-only mode) and checks each kind of call through the wire: a
// denial is kv.ErrPermission at the client and changes nothing.
func TestServePermissions(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	setup := kvtest.OpenStore(t, mustPosixfs(t, dir))
	ctx := t.Context()
	for _, n := range []string{"config/manifest", "packs/00/0011", "locks/lock1"} {
		if err := setup.Store(ctx, n, []byte("v")); err != nil {
			t.Fatal(err)
		}
	}
	d := serveProcess(t, dir, "--permissions", "no-delete")
	if err := d.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer d.Close(ctx)
	for _, tc := range []struct {
		what   string
		call   func() error
		denied bool
	}{
		{"load a pack", func() error { _, err := d.Load(ctx, "packs/00/0011"); return err }, false},
		{"store a new pack", func() error { return d.Store(ctx, "packs/00/0022", []byte("new")) }, false},
		{"overwrite a pack", func() error { return d.Store(ctx, "packs/00/0011", []byte("evil")) }, true},
		{"delete a pack", func() error { return d.Delete(ctx, "packs/00/0011") }, true},
		{"move a pack away", func() error { return d.Move(ctx, "packs/00/0011", "packs/00/0033") }, true},
		{"delete a lock", func() error { return d.Delete(ctx, "locks/lock1") }, false},
		{"overwrite the manifest", func() error { return d.Store(ctx, "config/manifest", []byte("w")) }, false},
	} {
		err := tc.call()
		switch {
		case tc.denied && !errors.Is(err, kv.ErrPermission):
			t.Errorf("%s: %v, want kv.ErrPermission", tc.what, err)
		case !tc.denied && err != nil:
			t.Errorf("%s: %v, want it allowed", tc.what, err)
		}
	}
	if v, err := d.Load(ctx, "packs/00/0011"); err != nil || !bytes.Equal(v, []byte("v")) {
		t.Errorf("the pack after denied calls: %q, %v; want it unchanged", v, err)
	}
}

// TestServeQuota serves a store with --quota and fills it past the limit:
// the store that would pass it is kv.ErrQuotaExceeded at the client, and
// Quota reports the limit and the usage.
func TestServeQuota(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	kvtest.OpenStore(t, mustPosixfs(t, dir))
	d := serveProcess(t, dir, "--quota", "1000")
	ctx := t.Context()
	if err := d.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer d.Close(ctx)
	if err := d.Store(ctx, "data/a", make([]byte, 600)); err != nil {
		t.Fatal(err)
	}
	if err := d.Store(ctx, "data/b", make([]byte, 600)); !errors.Is(err, kv.ErrQuotaExceeded) {
		t.Errorf("store past the quota: %v, want kv.ErrQuotaExceeded", err)
	}
	q, err := d.Quota(ctx)
	if err != nil || q != (kv.Quota{Limit: 1000, Usage: 600}) {
		t.Errorf("quota: %+v, %v; want limit 1000, usage 600", q, err)
	}
	if info, err := d.Info(ctx, "data/b"); err != nil || info.Exists {
		t.Errorf("the refused item: %+v, %v; want it missing", info, err)
	}
}

func mustPosixfs(t *testing.T, dir string) kv.Backend {
	t.Helper()
	d, err := posixfs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
