package kvtest_test

import (
	"context"
	"io"
	"sync/atomic"
	"testing"

	"github.com/kvcompose/compose/drivers/memory"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/backendkit"
	"github.com/kvcompose/compose/kv/kvtest"
	"github.com/kvcompose/compose/layers/nesting"
	"github.com/kvcompose/compose/layers/softdelete"
	"github.com/kvcompose/compose/layers/stats"
)

// byteCounter is a third-party layer written with backendkit.Forward: it
// overrides Load, Store and the streaming calls to count bytes and forwards
// the rest.
type byteCounter struct {
	backendkit.Forward
	loaded, stored atomic.Int64
}

func (c *byteCounter) Load(ctx context.Context, name string, opts ...kv.Option) ([]byte, error) {
	v, err := c.Next.Load(ctx, name, opts...)
	c.loaded.Add(int64(len(v)))
	return v, err
}

func (c *byteCounter) Store(ctx context.Context, name string, value []byte, opts ...kv.Option) error {
	err := c.Next.Store(ctx, name, value, opts...)
	if err == nil {
		c.stored.Add(int64(len(value)))
	}
	return err
}

func (c *byteCounter) LoadStream(ctx context.Context, name string, opts ...kv.Option) (io.ReadCloser, error) {
	rc, err := c.Next.LoadStream(ctx, name, opts...)
	if err != nil {
		return nil, err
	}
	return backendkit.ObserveReader(rc, func(n int) { c.loaded.Add(int64(n)) }, nil), nil
}

func (c *byteCounter) StoreStream(ctx context.Context, name string, src io.Reader, size int64, opts ...kv.Option) error {
	return c.Next.StoreStream(ctx, name, backendkit.ObserveSource(src, func(n int) { c.stored.Add(int64(n)) }, nil), size, opts...)
}

// countBytes returns a byteCounter over a stats layer over next, and checks
// when the test ends that the counter counted the bytes the stats layer
// did (and adds them to moved): the suite's calls reached the layer's own methods, and the others
// went through Forward.
func countBytes(t *testing.T, moved *atomic.Int64, next kv.Backend) kv.Backend {
	st := stats.New(next)
	c := &byteCounter{Forward: backendkit.Forward{Next: st}}
	t.Cleanup(func() {
		ops := st.Snapshot().Ops
		if got, want := c.loaded.Load(), ops["load"].Bytes; got != want {
			t.Errorf("the Forward layer loaded %d bytes, the stats layer below it %d", got, want)
		}
		if got, want := c.stored.Load(), ops["store"].Bytes; got != want {
			t.Errorf("the Forward layer stored %d bytes, the stats layer below it %d", got, want)
		}
		moved.Add(c.loaded.Load() + c.stored.Load())
	})
	return c
}

// checkMoved checks, when the test ends, that some bytes went through the
// layer, so that the comparisons of countBytes were not of zeros.
func checkMoved(t *testing.T) *atomic.Int64 {
	var moved atomic.Int64
	t.Cleanup(func() {
		if moved.Load() == 0 {
			t.Error("no bytes went through the Forward layer")
		}
	})
	return &moved
}

func TestForwardLayer(t *testing.T) {
	moved := checkMoved(t)
	kvtest.TestBackend(t, func(t *testing.T) kv.Backend {
		return countBytes(t, moved, memory.New(t.Name()))
	})
}

// TestForwardLayerStack runs the stack suite with the third-party layer on
// top: kv.Stack and backendkit.Consumes walk through it to the soft-delete
// and nesting layers.
func TestForwardLayerStack(t *testing.T) {
	moved := checkMoved(t)
	kvtest.TestStack(t, func(t *testing.T, levels map[string][]int) kv.Backend {
		n, err := nesting.New(memory.New(t.Name()), levels)
		if err != nil {
			t.Fatal(err)
		}
		return countBytes(t, moved, softdelete.New(n))
	})
}
