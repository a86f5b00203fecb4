package logging_test

import (
	"io"
	"log/slog"
	"testing"

	"github.com/kvcompose/compose/drivers/memory"
	"github.com/kvcompose/compose/internal/benchtest"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/kvtest"
	"github.com/kvcompose/compose/layers/logging"
)

// benchStacks are the memory driver alone and under the layer with Debug
// off (the cost of the check), and with Debug on to a text handler that
// writes to io.Discard (the cost of a record).
var benchStacks = []kvtest.Bench{
	{Name: "memory", New: func(*testing.B) kv.Backend { return memory.New("") }},
	{Name: "debug-off", New: logged(slog.LevelInfo)},
	{Name: "debug-on-discard", New: logged(slog.LevelDebug)},
}

func logged(level slog.Level) func(*testing.B) kv.Backend {
	return func(*testing.B) kv.Backend { return logging.New(memory.New(""), logger(level)) }
}

// logger returns a text logger at level that writes to io.Discard.
func logger(level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: level}))
}

// BenchmarkLoad4KiB measures what the layer adds to a load of 4 KiB.
func BenchmarkLoad4KiB(b *testing.B) { kvtest.BenchLoad(b, 4096, benchStacks...) }

// BenchmarkStore4KiB measures what the layer adds to a store of 4 KiB.
func BenchmarkStore4KiB(b *testing.B) { kvtest.BenchStore(b, 4096, benchStacks...) }

// BenchmarkOverhead measures the layer's cost per Load over a backend that
// does no work: with Debug off, the Enabled check.
func BenchmarkOverhead(b *testing.B) {
	benchtest.Overhead(b, memory.New(""), map[string]func(kv.Backend) kv.Backend{
		"debug-off": func(next kv.Backend) kv.Backend { return logging.New(next, logger(slog.LevelInfo)) },
		"debug-on-discard": func(next kv.Backend) kv.Backend {
			return logging.New(next, logger(slog.LevelDebug))
		},
	})
}
