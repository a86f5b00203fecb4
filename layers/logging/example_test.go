package logging_test

import (
	"context"
	"log/slog"
	"os"

	"github.com/kvcompose/compose/drivers/memory"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/layers/logging"
)

func ExampleNew() {
	ctx := context.Background()
	// A text handler at Debug; the time and the duration are left out so
	// that the output is the same on every run.
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		Level: slog.LevelDebug,
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey || a.Key == logging.KeyDuration {
				return slog.Attr{}
			}
			return a
		},
	}))
	store := logging.New(memory.New("example-logging"), logger)
	store.Create(ctx)
	store.Open(ctx)
	store.Store(ctx, "data/0123", []byte("hello"))
	store.Load(ctx, "data/0123", kv.Range(1, 3))
	store.Load(ctx, "data/4567") // not found: expected, at Debug
	store.Open(ctx)              // already open: a failure, at Warn
	for range store.List(ctx, "data") {
	}
	store.Close(ctx)
	store.Destroy(ctx)
	// Output:
	// level=DEBUG msg="kv call" op=create
	// level=DEBUG msg="kv call" op=open
	// level=DEBUG msg="kv call" op=store name=data/0123 bytes=5
	// level=DEBUG msg="kv call" op=load name=data/0123 options=[range(1,3)] bytes=3
	// level=DEBUG msg="kv call" op=load name=data/4567 error="load \"data/4567\": not found"
	// level=WARN msg="kv call" op=open error="open: store is already open"
	// level=DEBUG msg="kv call" op=list name=data items=1
	// level=DEBUG msg="kv call" op=close
	// level=DEBUG msg="kv call" op=destroy
}
