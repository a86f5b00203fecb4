package backendkit_test

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/kvcompose/compose/drivers/memory"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

// Counter is a layer written with backendkit.Forward: it counts the bytes
// loaded and stored through it, and forwards every other call.
type Counter struct {
	backendkit.Forward
	Loaded, Stored atomic.Int64
}

// Load counts the bytes it returns.
func (c *Counter) Load(ctx context.Context, name string, opts ...kv.Option) ([]byte, error) {
	v, err := c.Next.Load(ctx, name, opts...)
	c.Loaded.Add(int64(len(v)))
	return v, err
}

// Store counts the bytes it stored.
func (c *Counter) Store(ctx context.Context, name string, value []byte, opts ...kv.Option) error {
	err := c.Next.Store(ctx, name, value, opts...)
	if err == nil {
		c.Stored.Add(int64(len(value)))
	}
	return err
}

func Example_layer() {
	ctx := context.Background()
	c := &Counter{Forward: backendkit.Forward{Next: memory.New("example")}}
	var store kv.Backend = c
	store.Create(ctx)
	store.Open(ctx)
	defer store.Destroy(ctx)
	defer store.Close(ctx)

	store.Store(ctx, "data/0123", make([]byte, 4096))
	store.Load(ctx, "data/0123", kv.Range(0, 100))
	store.Load(ctx, "data/4567") // not found: nothing counted
	fmt.Println("stored", c.Stored.Load(), "loaded", c.Loaded.Load())
	fmt.Println("driver below:", kv.PropertiesOf(store).Scheme)
	// Output:
	// stored 4096 loaded 100
	// driver below: mem
}
