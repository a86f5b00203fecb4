package posixfs

import (
	"path/filepath"
	"testing"

	"github.com/kvcompose/compose/internal/tmpsweep/sweeptest"
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
	want := sweeptest.Leave(t, base)
	if err := d.Open(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close(ctx) })
	removed, err := d.sweep.Wait()
	sweeptest.Check(t, base, want, removed, err)
	for it, err := range d.List(ctx, "") {
		if err != nil || it.Name != "data" && it.Name != "index" {
			t.Errorf("list of the root: %+v, %v; want only data and index", it, err)
		}
	}
	// Within tmpsweep.Every, no walk: a new stale temporary stays.
	if err := d.Close(ctx); err != nil {
		t.Fatal(err)
	}
	sweeptest.LeaveStale(t, base, "data/00/0033.x.tmp")
	if err := d.Open(ctx); err != nil {
		t.Fatal(err)
	}
	if removed, err := d.sweep.Wait(); removed != 0 || err != nil {
		t.Errorf("second sweep: removed %d, %v; want 0", removed, err)
	}
}
