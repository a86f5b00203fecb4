package posixfs

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kvcompose/compose/internal/tmpsweep"
)

// TestStaleTemporaries leaves temporaries in a store as killed writers
// would, some untouched for longer than tmpsweep.StaleAfter, some fresh,
// and checks that the sweep Open starts removes the stale ones only, and
// that List shows none of it.
func TestStaleTemporaries(t *testing.T) {
	ctx := t.Context()
	base := filepath.Join(t.TempDir(), "store")
	d, err := New(base)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Create(ctx); err != nil {
		t.Fatal(err)
	}
	if err := d.Open(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := d.sweep.Wait(); err != nil {
		t.Fatal(err)
	}
	if err := d.Store(ctx, "data/00/0011", []byte("item")); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(ctx); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-tmpsweep.StaleAfter - time.Minute)
	leave := func(name string, mtime time.Time) {
		p := filepath.Join(base, name)
		if err := os.WriteFile(p, []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	leave("data/00/0011.k3j9.tmp", old)
	leave("data/00/0022.zz.tmp", time.Now().Add(-time.Hour)) // a slow writer, alive
	leave("config.ab.tmp", old)
	leave("data/00/0011.k3j9.tmp.keep", old) // not a temporary
	// Enough directories for a long walk, which leaves a stamp.
	for i := range tmpsweep.LongWalk {
		if err := os.MkdirAll(filepath.Join(base, "index", fmt.Sprintf("%03d", i)), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	stamp := filepath.Join(base, tmpsweep.StampName)

	if err := d.Open(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close(ctx) })
	if removed, err := d.sweep.Wait(); removed != 2 || err != nil {
		t.Errorf("sweep: removed %d, %v; want 2", removed, err)
	}
	for name, want := range map[string]bool{
		"data/00/0011.k3j9.tmp":      false,
		"config.ab.tmp":              false,
		"data/00/0022.zz.tmp":        true,
		"data/00/0011.k3j9.tmp.keep": true,
		"data/00/0011":               true,
		tmpsweep.StampName:           true,
	} {
		if _, err := os.Stat(filepath.Join(base, name)); (err == nil) != want {
			t.Errorf("%s: there %v, want %v", name, err == nil, want)
		}
	}
	if fi, err := os.Stat(stamp); err != nil || time.Since(fi.ModTime()) > time.Hour {
		t.Errorf("stamp not touched: %v", err)
	}
	for it, err := range d.List(ctx, "") {
		if err != nil || it.Name != "data" && it.Name != "index" {
			t.Errorf("list of the root: %+v, %v; want only data and index", it, err)
		}
	}
	// Within tmpsweep.Every, no walk: a new stale temporary stays.
	if err := d.Close(ctx); err != nil {
		t.Fatal(err)
	}
	leave("data/00/0033.x.tmp", old)
	if err := d.Open(ctx); err != nil {
		t.Fatal(err)
	}
	if removed, err := d.sweep.Wait(); removed != 0 || err != nil {
		t.Errorf("second sweep: removed %d, %v; want 0", removed, err)
	}
}
