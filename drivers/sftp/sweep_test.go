package sftp

import (
	"path/filepath"
	"testing"

	"github.com/kvcompose/compose/internal/sshdtest"
	"github.com/kvcompose/compose/internal/tmpsweep/sweeptest"
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
	want := sweeptest.Leave(t, base)
	if err := d.Open(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close(ctx); _ = d.Destroy(ctx) })
	removed, err := d.sweep.Wait()
	sweeptest.Check(t, base, want, removed, err)
}
