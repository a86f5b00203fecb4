package rclone

import (
	"context"
	"strings"
	"testing"

	"github.com/kvcompose/compose/internal/tmpsweep/sweeptest"
)

// TestStaleTemporaries leaves temporaries in a store as killed writers
// would, some untouched for longer than tmpsweep.StaleAfter, some fresh,
// and checks that the sweep Open starts removes the stale ones only.
func TestStaleTemporaries(t *testing.T) {
	ctx := context.Background()
	d := openLocal(t)
	t.Cleanup(func() { shutdown(t, d) })
	if _, err := d.sweep.Wait(); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(ctx); err != nil {
		t.Fatal(err)
	}
	base := strings.TrimPrefix(d.Remote(), ":local:")
	want := sweeptest.Leave(t, base)
	if err := d.Open(ctx); err != nil {
		t.Fatal(err)
	}
	removed, err := d.sweep.Wait()
	sweeptest.Check(t, base, want, removed, err)
}
