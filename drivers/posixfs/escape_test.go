package posixfs

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/kvcompose/compose/kv"
)

// TestSymlinkEscape plants symbolic links to a directory and a file outside
// the store and checks that no call reads, writes or deletes through them,
// and that Destroy leaves the outside alone.
func TestSymlinkEscape(t *testing.T) {
	for _, tc := range []struct {
		name     string
		absolute bool
	}{{"Relative", false}, {"Absolute", true}} {
		t.Run(tc.name, func(t *testing.T) { testEscape(t, tc.absolute) })
	}
}

func testEscape(t *testing.T, absolute bool) {
	ctx := t.Context()
	outside := t.TempDir()
	writeFile(t, filepath.Join(outside, "secret"), "secret")
	mkdir(t, filepath.Join(outside, "empty"))
	d := openStore(t)
	link := func(target, name string) {
		t.Helper()
		if absolute {
			target = filepath.Join(outside, target)
		} else {
			rel, err := filepath.Rel(filepath.Dir(filepath.Join(d.Base(), name)), filepath.Join(outside, target))
			if err != nil {
				t.Fatal(err)
			}
			target = rel
		}
		mkdir(t, filepath.Dir(filepath.Join(d.Base(), name)))
		if err := os.Symlink(target, filepath.Join(d.Base(), name)); err != nil {
			t.Fatal(err)
		}
	}
	link(".", "link")
	link("secret", "data/f")
	if err := d.Store(ctx, "data/own", []byte("own")); err != nil {
		t.Fatal(err)
	}

	mustFail := map[string]error{}
	mustFail["store"] = d.Store(ctx, "link/x", []byte("x"))
	mustFail["store over"] = d.Store(ctx, "link/secret", []byte("x"))
	_, mustFail["load"] = d.Load(ctx, "link/secret")
	_, mustFail["load range"] = d.Load(ctx, "link/secret", kv.Range(1, 2))
	_, mustFail["load file link"] = d.Load(ctx, "data/f")
	_, mustFail["hash"] = d.Hash(ctx, "link/secret", "")
	mustFail["delete"] = d.Delete(ctx, "link/secret")
	mustFail["move from"] = d.Move(ctx, "link/secret", "stolen")
	mustFail["move into"] = d.Move(ctx, "data/own", "link/own")
	mustFail["mkdir"] = d.Mkdir(ctx, "link/sub")
	mustFail["rmdir"] = d.Rmdir(ctx, "link/empty")
	for _, err := range d.List(ctx, "link") {
		mustFail["list"] = err
		break
	}
	for op, err := range mustFail {
		t.Logf("%s: %v", op, err)
		if err == nil {
			t.Errorf("%s through a link to the outside succeeded", op)
		}
	}
	if info, err := d.Info(ctx, "link/secret"); err == nil && info.Exists {
		t.Errorf("Info through a link to the outside: %+v", info)
	}
	// Listing skips the file link; storing over it and deleting it act on
	// the link inside the store.
	if got := listNames(t, d, "data"); got != "own" {
		t.Errorf("List(data) = %q, want own", got)
	}
	if err := d.Store(ctx, "data/f", []byte("new")); err != nil {
		t.Errorf("Store over a file link: %v", err)
	}
	if err := d.Delete(ctx, "data/f"); err != nil {
		t.Errorf("Delete of the link: %v", err)
	}
	if err := d.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := d.Destroy(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(d.Base()); !os.IsNotExist(err) {
		t.Errorf("base still there after Destroy: %v", err)
	}
	checkTree(t, outside, []string{".", "empty", "secret"})
	if b, err := os.ReadFile(filepath.Join(outside, "secret")); err != nil || string(b) != "secret" {
		t.Errorf("outside secret = %q, %v", b, err)
	}
}

// checkTree fails unless dir holds exactly the paths want (sorted).
func checkTree(t *testing.T, dir string, want []string) {
	t.Helper()
	var got []string
	err := filepath.WalkDir(dir, func(p string, _ os.DirEntry, err error) error {
		rel, _ := filepath.Rel(dir, p)
		got = append(got, rel)
		return err
	})
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("outside tree %v, %v; want %v", got, err, want)
	}
}
