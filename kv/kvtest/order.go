package kvtest

import (
	"context"
	"strings"
	"testing"

	"github.com/kvcompose/compose/kv"
)

// call is one item call of the check-order table, made with a name, the
// options and a context.
type call struct {
	op   kv.Op
	opts bool // the call takes options
	do   func(ctx context.Context, b kv.Backend, name string, opts ...kv.Option) error
}

// calls are the item calls whose checks testCheckOrder pins.
var calls = []call{
	{kv.OpInfo, true, func(c context.Context, b kv.Backend, n string, o ...kv.Option) error {
		_, err := b.Info(c, n, o...)
		return err
	}},
	{kv.OpLoad, true, func(c context.Context, b kv.Backend, n string, o ...kv.Option) error {
		_, err := b.Load(c, n, o...)
		return err
	}},
	{kv.OpStore, true, func(c context.Context, b kv.Backend, n string, o ...kv.Option) error {
		return b.Store(c, n, []byte("v"), o...)
	}},
	{kv.OpLoad, true, func(c context.Context, b kv.Backend, n string, o ...kv.Option) error {
		r, err := b.LoadStream(c, n, o...)
		if err == nil {
			r.Close()
		}
		return err
	}},
	{kv.OpStore, true, func(c context.Context, b kv.Backend, n string, o ...kv.Option) error {
		return b.StoreStream(c, n, strings.NewReader("v"), 1, o...)
	}},
	{kv.OpDelete, true, func(c context.Context, b kv.Backend, n string, o ...kv.Option) error {
		return b.Delete(c, n, o...)
	}},
	{kv.OpMove, true, func(c context.Context, b kv.Backend, n string, o ...kv.Option) error {
		return b.Move(c, n, "order/to", o...)
	}},
	{kv.OpList, true, func(c context.Context, b kv.Backend, n string, o ...kv.Option) error {
		for _, err := range b.List(c, n, o...) {
			return err
		}
		return nil
	}},
	{kv.OpHash, true, func(c context.Context, b kv.Backend, n string, o ...kv.Option) error {
		_, err := b.Hash(c, n, "", o...)
		return err
	}},
	{kv.OpMkdir, false, func(c context.Context, b kv.Backend, n string, _ ...kv.Option) error {
		return b.Mkdir(c, n)
	}},
	{kv.OpRmdir, false, func(c context.Context, b kv.Backend, n string, _ ...kv.Option) error {
		return b.Rmdir(c, n)
	}},
}

// foreign is an option that no call above accepts in any stack: a Defrag
// target.
var foreign = kv.Target("order/x")

// testCheckOrder pins the order of the checks every item call makes (see
// backendkit.Lifecycle.Begin): the state, then the options, then the name, then the
// context. Each case breaks the later checks too, so a driver that checks
// in another order gives another error.
func testCheckOrder(t *testing.T, newBackend NewFunc) {
	const bad = "Order/Bad Name"
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	b := newBackend(t)
	noErr(t, b.Create(ctx(t)), "create")
	t.Cleanup(func() { _ = b.Destroy(context.Background()) })
	for _, c := range calls {
		t.Run(c.op.String()+"/Closed", func(t *testing.T) {
			opts := []kv.Option{}
			if c.opts {
				opts = append(opts, foreign)
			}
			isErr(t, c.do(cancelled, b, bad, opts...), kv.ErrNotOpen, "%s on a closed store, with a foreign option, a bad name and a cancelled context", c.op)
		})
	}
	noErr(t, b.Open(ctx(t)), "open")
	t.Cleanup(func() { _ = b.Close(context.Background()) })
	for _, c := range calls {
		t.Run(c.op.String()+"/Open", func(t *testing.T) {
			if c.opts {
				isErr(t, c.do(cancelled, b, bad, foreign), kv.ErrUnsupported, "%s with a foreign option, a bad name and a cancelled context", c.op)
			}
			isErr(t, c.do(cancelled, b, bad), kv.ErrInvalidName, "%s with a bad name and a cancelled context", c.op)
			isErr(t, c.do(cancelled, b, "order/item"), context.Canceled, "%s with a cancelled context", c.op)
		})
	}
}
