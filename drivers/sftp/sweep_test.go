package sftp

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kvcompose/compose/internal/sshdtest"
	"github.com/kvcompose/compose/internal/tmpsweep"
)

// TestStaleTemporaries leaves temporaries in a store as killed writers
// would, some untouched for longer than tmpsweep.StaleAfter, some fresh,
// and checks that the sweep Open starts removes the stale ones only.
func TestStaleTemporaries(t *testing.T) {
	s := sshdtest.Start(t)
	ctx := t.Context()
	base := filepath.Join(t.TempDir(), "store")
	d, err := FromURL("sftp://kvtest/"+base, WithSSHConfig(s.SSHConfig), WithKnownHosts(s.KnownHosts))
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Create(ctx); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(base, "data/00"), 0o755); err != nil {
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
	leave("data/00/0011", old)
	leave("data/00/0011.k3j9.tmp", old)
	leave("data/00/0022.zz.tmp", time.Now().Add(-time.Hour)) // a slow writer, alive
	leave("config.ab.tmp", old)
	// Enough directories for a long walk, which leaves a stamp.
	for i := range tmpsweep.LongWalk {
		if err := os.MkdirAll(filepath.Join(base, "index", fmt.Sprintf("%03d", i)), 0o755); err != nil {
			t.Fatal(err)
		}
	}

	if err := d.Open(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close(ctx); _ = d.Destroy(ctx) })
	if removed, err := d.sweep.Wait(); removed != 2 || err != nil {
		t.Errorf("sweep: removed %d, %v; want 2", removed, err)
	}
	for name, want := range map[string]bool{
		"data/00/0011.k3j9.tmp": false,
		"config.ab.tmp":         false,
		"data/00/0022.zz.tmp":   true,
		"data/00/0011":          true,
		tmpsweep.StampName:      true,
	} {
		if _, err := os.Stat(filepath.Join(base, name)); (err == nil) != want {
			t.Errorf("%s: there %v, want %v", name, err == nil, want)
		}
	}
	if fi, err := os.Stat(filepath.Join(base, tmpsweep.StampName)); err != nil || time.Since(fi.ModTime()) > time.Hour {
		t.Errorf("stamp not touched: %v", err)
	}
}
