package backendkit_test

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync/atomic"

	"github.com/kvcompose/compose/drivers/memory"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
)

// Counter is a layer written with backendkit.Forward: it counts the bytes
// loaded and stored through it, streams included, and forwards every other
// call.
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

// LoadStream counts the bytes as the caller reads them
// (backendkit.ObserveReader), also when it stops early.
func (c *Counter) LoadStream(ctx context.Context, name string, opts ...kv.Option) (io.ReadCloser, error) {
	rc, err := c.Next.LoadStream(ctx, name, opts...)
	if err != nil {
		return nil, err
	}
	return backendkit.ObserveReader(rc, func(n int) { c.Loaded.Add(int64(n)) }, nil), nil
}

// StoreStream counts the bytes as the store reads them from src
// (backendkit.ObserveSource, which keeps src seekable for a retry below).
func (c *Counter) StoreStream(ctx context.Context, name string, src io.Reader, size int64, opts ...kv.Option) error {
	return c.Next.StoreStream(ctx, name, backendkit.ObserveSource(src, func(n int) { c.Stored.Add(int64(n)) }, nil), size, opts...)
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
	store.StoreStream(ctx, "data/89ab", strings.NewReader("streamed"), -1)
	fmt.Println("stored", c.Stored.Load(), "loaded", c.Loaded.Load())
	fmt.Println("driver below:", kv.PropertiesOf(store).Scheme)
	// Output:
	// stored 4104 loaded 100
	// driver below: mem
}
