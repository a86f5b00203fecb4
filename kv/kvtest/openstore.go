package kvtest

import (
	"context"
	"errors"
	"testing"

	"github.com/kvcompose/compose/kv"
)

// OpenStore creates and opens b, failing the test on an error, and closes
// and destroys it when the test ends (with a context of its own: the test's
// context is cancelled by then); a test may close or destroy it itself. It
// returns b.
func OpenStore[B kv.Backend](tb testing.TB, b B) B {
	tb.Helper()
	ctx := context.Background()
	if err := b.Create(ctx); err != nil {
		tb.Fatalf("create: %v", err)
	}
	if err := b.Open(ctx); err != nil {
		tb.Fatalf("open: %v", err)
	}
	tb.Cleanup(func() {
		if err := b.Close(ctx); err != nil && !errors.Is(err, kv.ErrNotOpen) {
			tb.Errorf("close: %v", err)
		}
		if err := b.Destroy(ctx); err != nil && !errors.Is(err, kv.ErrNoStore) {
			tb.Errorf("destroy: %v", err)
		}
	})
	return b
}

// Fill stores the items (name to value) in b, failing the test on an
// error, and returns b.
func Fill[B kv.Backend](tb testing.TB, b B, items map[string]string) B {
	tb.Helper()
	for name, value := range items {
		if err := b.Store(context.Background(), name, []byte(value)); err != nil {
			tb.Fatalf("store %q: %v", name, err)
		}
	}
	return b
}
