// Package sweeptest lays out what killed writers leave in a store kept on
// this machine's file system, and checks what the sweep of
// internal/tmpsweep kept: one test for every driver that starts a sweep.
package sweeptest

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kvcompose/compose/internal/tmpsweep"
)

// Stale is how many temporaries Leave leaves that a sweep must remove.
const Stale = 2

// Leave writes below base, the directory of a closed store, an item and
// temporaries as killed writers leave them: two untouched for longer than
// tmpsweep.StaleAfter, one of a slow writer still alive, and a name that
// only contains ".tmp"; and enough directories for a long walk, which
// leaves a stamp. It returns the names it wrote and whether each must be
// there after a sweep.
func Leave(t testing.TB, base string) map[string]bool {
	t.Helper()
	old := time.Now().Add(-tmpsweep.StaleAfter - time.Minute)
	files := []struct {
		name  string
		mtime time.Time
		keep  bool
	}{
		{"data/00/0011", old, true},
		{"data/00/0011.k3j9abcdefgh.tmp", old, false},
		{"config.ab.tmp", old, false},
		{"data/00/0022.zz.tmp", time.Now().Add(-time.Hour), true}, // a slow writer, alive
		{"data/00/0011.k3j9.tmp.keep", old, true},                 // not a temporary
	}
	want := map[string]bool{}
	for _, f := range files {
		p := filepath.Join(base, f.name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, f.mtime, f.mtime); err != nil {
			t.Fatal(err)
		}
		want[f.name] = f.keep
	}
	for i := range tmpsweep.LongWalk {
		if err := os.MkdirAll(filepath.Join(base, "index", fmt.Sprintf("%03d", i)), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return want
}

// Check checks, after the sweep that Open started over the store at base
// returned removed and err, that it removed the stale temporaries of
// Leave only and touched its stamp.
func Check(t testing.TB, base string, want map[string]bool, removed int, err error) {
	t.Helper()
	if removed != Stale || err != nil {
		t.Errorf("sweep: removed %d, %v; want %d", removed, err, Stale)
	}
	for name, keep := range want {
		if _, err := os.Stat(filepath.Join(base, name)); (err == nil) != keep {
			t.Errorf("%s: there %v, want %v", name, err == nil, keep)
		}
	}
	if fi, err := os.Stat(filepath.Join(base, tmpsweep.StampName)); err != nil || time.Since(fi.ModTime()) > time.Hour {
		t.Errorf("stamp not touched: %v", err)
	}
}

// LeaveStale writes one more stale temporary at base/name, as Leave does.
func LeaveStale(t testing.TB, base, name string) {
	t.Helper()
	old := time.Now().Add(-tmpsweep.StaleAfter - time.Minute)
	p := filepath.Join(base, name)
	if err := os.WriteFile(p, []byte("partial"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(p, old, old); err != nil {
		t.Fatal(err)
	}
}
