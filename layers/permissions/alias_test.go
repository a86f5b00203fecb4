package permissions_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/kvcompose/compose/drivers/posixfs"
	"github.com/kvcompose/compose/internal/restproto"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/kvtest"
	"github.com/kvcompose/compose/layers/permissions"
	"github.com/kvcompose/compose/restserver"
)

// aliasPerms gives a directory fewer rights than its parent: the keys may
// be read, not changed, while everything else may.
var aliasPerms = map[string]string{"": "lrwWD", "keys": "lr"}

// aliasStore returns a permissions layer with aliasPerms over a posixfs
// store (where "./keys/x" and "keys/x" would be one file) that holds
// keys/repokey and keys/new, and the driver below it.
func aliasStore(t *testing.T) (*permissions.Layer, kv.Backend) {
	t.Helper()
	ctx := context.Background()
	drv, err := posixfs.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	d := kvtest.OpenStore(t, drv)
	for _, name := range []string{"keys/repokey", "keys/new"} {
		if err := d.Store(ctx, name, []byte("key")); err != nil {
			t.Fatal(err)
		}
	}
	return permissions.New(d, aliasPerms), d
}

// checkUnchanged fails unless the store still holds exactly the keys, as
// aliasStore made them, and nothing else.
func checkUnchanged(t *testing.T, d kv.Backend) {
	t.Helper()
	ctx := context.Background()
	for _, name := range []string{"keys/repokey", "keys/new"} {
		if v, err := d.Load(ctx, name); err != nil || string(v) != "key" {
			t.Errorf("%s: %q, %v; want it unchanged", name, v, err)
		}
	}
	var names []string
	for it, err := range d.List(ctx, "") {
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, it.Name)
	}
	if !slices.Equal(names, []string{"keys"}) {
		t.Errorf("the root holds %q, want only keys", names)
	}
}

// aliases are spellings that a file system would take for keys/... or the
// root: each is an invalid name.
var aliases = []string{"./keys/repokey", "keys/./repokey", "keys/repokey/.", "./keys/new", "keys//repokey", "/.", ".", "data//x", "keys/."}

// TestAliasesThroughLayer checks that no alias of a name in keys reaches
// the store through the layer: every call is kv.ErrInvalidName, not a
// judgement of the parent's rights, and nothing changes.
func TestAliasesThroughLayer(t *testing.T) {
	ctx := context.Background()
	l, d := aliasStore(t)
	// The genuine names are refused by the map.
	if err := l.Store(ctx, "keys/repokey", []byte("evil")); !errors.Is(err, kv.ErrPermission) {
		t.Fatalf("store keys/repokey: %v, want %v", err, kv.ErrPermission)
	}
	for _, name := range aliases {
		calls := map[string]error{
			"store":     l.Store(ctx, name, []byte("evil")),
			"delete":    l.Delete(ctx, name),
			"move-from": l.Move(ctx, name, "data/stolen"),
			"move-to":   l.Move(ctx, "keys/new", name),
			"mkdir":     l.Mkdir(ctx, name),
			"rmdir":     l.Rmdir(ctx, name),
		}
		_, calls["load"] = l.Load(ctx, name)
		_, calls["info"] = l.Info(ctx, name)
		_, calls["hash"] = l.Hash(ctx, name, "")
		_, calls["defrag-target"] = l.Defrag(ctx, []kv.Block{{Name: "keys/new", Size: 1}}, kv.Target(name))
		calls["list"] = kvtest.Drain(l.List(ctx, name))
		for call, err := range calls {
			if !errors.Is(err, kv.ErrInvalidName) {
				t.Errorf("%s %q: %v, want %v", call, name, err, kv.ErrInvalidName)
			}
		}
	}
	checkUnchanged(t, d)
}

// TestAliasesThroughServer checks the same through the REST server in
// process: every request that names an alias is 400 and changes nothing.
func TestAliasesThroughServer(t *testing.T) {
	l, d := aliasStore(t)
	srv := httptest.NewServer(restserver.New(l))
	t.Cleanup(srv.Close)
	do := func(method, target, body string) int {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+target, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Accept", restproto.MediaType)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := do(http.MethodPost, "/keys/repokey", "evil"); got != http.StatusForbidden {
		t.Fatalf("POST /keys/repokey: %d, want 403", got)
	}
	for _, name := range aliases {
		for _, r := range []struct{ method, target, body string }{
			{http.MethodPost, "/" + name, "evil"},
			{http.MethodDelete, "/" + name, ""},
			{http.MethodGet, "/" + name, ""},
			{http.MethodHead, "/" + name, ""},
			{http.MethodPost, "/?cmd=move&current=" + name + "&new=data/stolen", ""},
			{http.MethodPost, "/?cmd=move&current=keys/new&new=" + name, ""},
			{http.MethodPost, "/" + name + "?cmd=mkdir", ""},
		} {
			if got := do(r.method, r.target, r.body); got != http.StatusBadRequest {
				t.Errorf("%s %s: %d, want 400", r.method, r.target, got)
			}
		}
	}
	checkUnchanged(t, d)
}
