package metrics_test

import (
	"testing"

	"go.opentelemetry.io/otel/metric/noop"

	"github.com/kvcompose/compose/drivers/memory"
	"github.com/kvcompose/compose/internal/benchtest"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/kv/kvtest"
	"github.com/kvcompose/compose/layers/metrics"
)

// benchStacks are the memory driver alone and under the layer with the
// SDK's provider and a manual reader (aggregating, as a real exporter
// would), and with the no-op provider.
var benchStacks = []kvtest.Bench{
	{Name: "memory", New: func(*testing.B) kv.Backend { return memory.New("") }},
	{Name: "sdk-manual-reader", New: func(*testing.B) kv.Backend {
		mp, _ := newReader()
		return metrics.New(memory.New(""), metrics.WithMeterProvider(mp))
	}},
	{Name: "noop", New: func(*testing.B) kv.Backend {
		return metrics.New(memory.New(""), metrics.WithMeterProvider(noop.NewMeterProvider()))
	}},
}

// BenchmarkLoad4KiB measures what the layer adds to a load of 4 KiB.
func BenchmarkLoad4KiB(b *testing.B) { kvtest.BenchLoad(b, 4096, benchStacks...) }

// BenchmarkStore4KiB measures what the layer adds to a store of 4 KiB.
func BenchmarkStore4KiB(b *testing.B) { kvtest.BenchStore(b, 4096, benchStacks...) }

// BenchmarkOverhead measures the layer's cost per Load over a backend that
// does no work: the clock readings, the histogram's Record and the atomic
// addition of the bytes.
func BenchmarkOverhead(b *testing.B) {
	mp, _ := newReader()
	benchtest.Overhead(b, map[string]func(kv.Backend) kv.Backend{
		"sdk-manual-reader": func(next kv.Backend) kv.Backend { return metrics.New(next, metrics.WithMeterProvider(mp)) },
		"noop": func(next kv.Backend) kv.Backend {
			return metrics.New(next, metrics.WithMeterProvider(noop.NewMeterProvider()))
		},
	})
}
