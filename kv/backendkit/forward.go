package backendkit

import (
	"context"
	"io"
	"iter"

	"github.com/kvcompose/compose/kv"
)

// Forward is the base of a layer written outside this module: every method
// of kv.Backend passes the call to Next unchanged, and Unwrap returns Next,
// so that kv.Stack, kv.As, kv.PropertiesOf and Consumes walk through the
// layer. A layer embeds Forward and overrides the methods it changes:
//
//	type Counter struct {
//		backendkit.Forward
//		stored atomic.Int64
//	}
//
//	func (c *Counter) Store(ctx context.Context, name string, value []byte, opts ...kv.Option) error {
//		err := c.Next.Store(ctx, name, value, opts...)
//		if err == nil {
//			c.stored.Add(int64(len(value)))
//		}
//		return err
//	}
//
// The layer is then &Counter{Forward: backendkit.Forward{Next: next}}.
//
// The methods are written out one by one, so that a method added to
// kv.Backend breaks the build of this file until it is added here too; a
// layer that embeds Forward then forwards the new method without a change.
// That is the trade a third-party layer makes: a layer that must see every
// call (one that rewrites names or values, or judges them) overrides every
// method that carries them, and checks the list again when kv.Backend
// grows. The layers of this module (layers/...) do not embed Forward: they
// forward every method explicitly, so that a new method
// breaks the build of each of them.
//
// Forward consumes no option and describes no driver: a layer that
// consumes options implements OptionConsumer itself. Next must not be nil.
type Forward struct {
	// Next is the Backend below the layer.
	Next kv.Backend
}

var (
	_ kv.Backend   = Forward{}
	_ kv.Unwrapper = Forward{}
)

// Unwrap returns Next, the Backend below the layer.
func (f Forward) Unwrap() kv.Backend { return f.Next }

// Create calls Next.Create.
func (f Forward) Create(ctx context.Context) error { return f.Next.Create(ctx) }

// Destroy calls Next.Destroy.
func (f Forward) Destroy(ctx context.Context) error { return f.Next.Destroy(ctx) }

// Open calls Next.Open.
func (f Forward) Open(ctx context.Context) error { return f.Next.Open(ctx) }

// Close calls Next.Close.
func (f Forward) Close(ctx context.Context) error { return f.Next.Close(ctx) }

// Mkdir calls Next.Mkdir.
func (f Forward) Mkdir(ctx context.Context, name string) error { return f.Next.Mkdir(ctx, name) }

// Rmdir calls Next.Rmdir.
func (f Forward) Rmdir(ctx context.Context, name string) error { return f.Next.Rmdir(ctx, name) }

// Info calls Next.Info.
func (f Forward) Info(ctx context.Context, name string, opts ...kv.Option) (kv.ItemInfo, error) {
	return f.Next.Info(ctx, name, opts...)
}

// Load calls Next.Load.
func (f Forward) Load(ctx context.Context, name string, opts ...kv.Option) ([]byte, error) {
	return f.Next.Load(ctx, name, opts...)
}

// Store calls Next.Store.
func (f Forward) Store(ctx context.Context, name string, value []byte, opts ...kv.Option) error {
	return f.Next.Store(ctx, name, value, opts...)
}

// LoadStream calls Next.LoadStream.
func (f Forward) LoadStream(ctx context.Context, name string, opts ...kv.Option) (io.ReadCloser, error) {
	return f.Next.LoadStream(ctx, name, opts...)
}

// StoreStream calls Next.StoreStream.
func (f Forward) StoreStream(ctx context.Context, name string, src io.Reader, size int64, opts ...kv.Option) error {
	return f.Next.StoreStream(ctx, name, src, size, opts...)
}

// Delete calls Next.Delete.
func (f Forward) Delete(ctx context.Context, name string, opts ...kv.Option) error {
	return f.Next.Delete(ctx, name, opts...)
}

// Move calls Next.Move.
func (f Forward) Move(ctx context.Context, from, to string, opts ...kv.Option) error {
	return f.Next.Move(ctx, from, to, opts...)
}

// List calls Next.List.
func (f Forward) List(ctx context.Context, name string, opts ...kv.Option) iter.Seq2[kv.ItemInfo, error] {
	return f.Next.List(ctx, name, opts...)
}

// Hash calls Next.Hash.
func (f Forward) Hash(ctx context.Context, name, algorithm string, opts ...kv.Option) (string, error) {
	return f.Next.Hash(ctx, name, algorithm, opts...)
}

// Defrag calls Next.Defrag.
func (f Forward) Defrag(ctx context.Context, sources []kv.Block, opts ...kv.Option) (string, error) {
	return f.Next.Defrag(ctx, sources, opts...)
}

// Quota calls Next.Quota.
func (f Forward) Quota(ctx context.Context) (kv.Quota, error) { return f.Next.Quota(ctx) }
