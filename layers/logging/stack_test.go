package logging_test

import (
	"io"
	"log/slog"
	"testing"

	"github.com/kvcompose/compose"
	"github.com/kvcompose/compose/drivers/memory"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/kvtest"
	"github.com/kvcompose/compose/layers/logging"
)

// TestStack runs the stack conformance suite on a compose stack with the
// layer at the top, logging at Debug.
func TestStack(t *testing.T) {
	logger := slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelDebug}))
	kvtest.TestStack(t, func(t *testing.T, levels map[string][]int) kv.Backend {
		b, err := compose.Wrap(memory.New(""), compose.WithLevels(levels), compose.WithoutThrottle(),
			compose.WithLayer(compose.Top, func(next kv.Backend) kv.Backend { return logging.New(next, logger) }))
		if err != nil {
			t.Fatal(err)
		}
		return b
	})
}
