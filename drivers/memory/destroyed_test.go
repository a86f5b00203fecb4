package memory

import (
	"context"
	"errors"
	"testing"

	"github.com/kvcompose/compose/kv"
)

// TestWriteAfterDestroy checks that a write that passed the open check
// while another goroutine closed and destroyed the store (its root gone)
// is kv.ErrNotOpen, not a nil dereference.
func TestWriteAfterDestroy(t *testing.T) {
	ctx := context.Background()
	d := New(t.Name())
	if err := d.Create(ctx); err != nil {
		t.Fatal(err)
	}
	if err := d.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer d.Close(ctx)
	// What Close and Destroy leave behind, while the lifecycle still
	// says open: the state a call that passed Begin finds.
	d.s.mu.Lock()
	d.s.root = nil
	d.s.mu.Unlock()
	for name, call := range map[string]func() error{
		"store": func() error { return d.Store(ctx, "data/a", []byte("v")) },
		"mkdir": func() error { return d.Mkdir(ctx, "data") },
		"move":  func() error { return d.Move(ctx, "data/a", "data/b") },
	} {
		err := call()
		if name != "move" && !errors.Is(err, kv.ErrNotOpen) {
			t.Errorf("%s on a destroyed store: %v, want kv.ErrNotOpen", name, err)
		}
		if name == "move" && err == nil {
			t.Errorf("move on a destroyed store: no error")
		}
	}
}
