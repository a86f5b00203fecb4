package kvtest

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

// testLayerOptions checks that an option meant for a layer that is not in
// the stack is kv.ErrUnsupported, naming the layer, and changes nothing.
func testLayerOptions(t *testing.T, b kv.Backend) {
	c := ctx(t)
	store(t, b, "opts/item", "v")
	for _, opt := range []kv.Option{kv.SoftDelete(), kv.Undelete(), kv.ChangeLevel(), kv.Deleted()} {
		if backendkit.Consumes(b, opt.Kind()) {
			continue
		}
		err := b.Move(c, "opts/item", "opts/item", opt)
		isErr(t, err, kv.ErrUnsupported, "move with %s", opt)
		if err != nil && !strings.Contains(err.Error(), "layer") {
			t.Errorf("move with %s: %q does not say which layer is missing", opt, err)
		}
		load(t, b, "opts/item", "v")
	}
	if !backendkit.Consumes(b, kv.KindDeleted) {
		_, err := b.Load(c, "opts/item", kv.Deleted())
		isErr(t, err, kv.ErrUnsupported, "load with deleted")
		isErr(t, b.Delete(c, "opts/item", kv.Deleted()), kv.ErrUnsupported, "delete with deleted")
		load(t, b, "opts/item", "v")
	}
	isErr(t, b.Store(c, "opts/item", []byte("w"), kv.Range(0, 1)), kv.ErrUnsupported, "store with a range")
	load(t, b, "opts/item", "v")
}

// testContext checks that a cancelled context ends calls with its error.
func testContext(t *testing.T, b kv.Backend) {
	store(t, b, "ctx/item", "v")
	c, cancel := context.WithCancel(ctx(t))
	cancel()
	isErr(t, b.Store(c, "ctx/new", []byte("v")), context.Canceled, "store with a cancelled context")
	_, err := b.Load(c, "ctx/item")
	isErr(t, err, context.Canceled, "load with a cancelled context")
	for _, err := range b.List(c, "ctx") {
		isErr(t, err, context.Canceled, "list with a cancelled context")
		break
	}
	exists(t, b, "ctx/new", false)
}

// testConcurrency runs goroutines that store, load, list and delete their
// own items, and overwrite one shared item, at once; every Load of the
// shared item must see one whole value.
func testConcurrency(t *testing.T, b kv.Backend) {
	const (
		workers = 8
		rounds  = 20
	)
	c := ctx(t)
	values := make([][]byte, workers)
	for w := range values {
		values[w] = bytes.Repeat([]byte{byte('a' + w)}, 64<<10)
	}
	store(t, b, "conc/shared", string(values[0]))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for r := range rounds {
				own := fmt.Sprintf("conc/w%d/%d", w, r%4)
				if err := b.Store(c, own, []byte(own)); err != nil {
					t.Errorf("store %s: %v", own, err)
					return
				}
				if got, err := b.Load(c, own); err != nil || string(got) != own {
					t.Errorf("load %s: %q, %v", own, short(got), err)
				}
				if err := b.Store(c, "conc/shared", values[w]); err != nil {
					t.Errorf("store shared: %v", err)
				}
				got, err := b.Load(c, "conc/shared")
				if err != nil || len(got) != len(values[w]) || !bytes.Equal(got, bytes.Repeat(got[:1], len(got))) {
					t.Errorf("load shared: %d bytes starting %q, %v: not one whole value", len(got), short(got), err)
				}
				for _, err := range b.List(c, fmt.Sprintf("conc/w%d", w)) {
					if err != nil {
						t.Errorf("list: %v", err)
					}
				}
				if r%4 == 3 {
					if err := b.Delete(c, own); err != nil {
						t.Errorf("delete %s: %v", own, err)
					}
				}
			}
		})
	}
	wg.Wait()
	for w := range workers {
		if got := list(t, b, fmt.Sprintf("conc/w%d", w)); len(got) != 3 {
			t.Errorf("worker %d left %q, want 3 items", w, got)
		}
	}
}
