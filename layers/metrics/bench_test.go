package metrics_test

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
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
	benchtest.Overhead(b, memory.New(""), map[string]func(kv.Backend) kv.Backend{
		"sdk-manual-reader": func(next kv.Backend) kv.Backend { return metrics.New(next, metrics.WithMeterProvider(mp)) },
		"noop": func(next kv.Backend) kv.Backend {
			return metrics.New(next, metrics.WithMeterProvider(noop.NewMeterProvider()))
		},
	})
}

// BenchmarkBreakdown splits the layer's cost per call into its parts, and
// compares the SDK's histogram with the Prometheus client's (the
// anchors' kind): "clock-time-now" is time.Now and time.Since (the layer
// before), "clock-monotonic" the two readings the layer makes now,
// "sdk-record" the SDK histogram's Record with the layer's prepared
// attribute set and a manual reader, "prometheus-observe" a
// client_golang histogram's Observe on a series looked up ahead.
func BenchmarkBreakdown(b *testing.B) {
	var sink time.Duration
	b.Run("clock-time-now", func(b *testing.B) {
		b.ReportAllocs()
		benchtest.CPU(b)
		for b.Loop() {
			start := time.Now()
			sink += time.Since(start)
		}
	})
	b.Run("clock-monotonic", func(b *testing.B) {
		b.ReportAllocs()
		benchtest.CPU(b)
		for b.Loop() {
			start := metrics.Now()
			sink += metrics.Now() - start
		}
	})
	mp, _ := newReader()
	h, err := mp.Meter("bench").Float64Histogram(metrics.DurationName, metric.WithUnit("s"),
		metric.WithExplicitBucketBoundaries(metrics.DurationBuckets()...))
	if err != nil {
		b.Fatal(err)
	}
	set := []metric.RecordOption{metric.WithAttributeSet(attribute.NewSet(metrics.KeyOperation.String("load"), metrics.KeyScheme.String("mem")))}
	ctx := context.Background()
	b.Run("sdk-record", func(b *testing.B) {
		b.ReportAllocs()
		benchtest.CPU(b)
		for b.Loop() {
			h.Record(ctx, 0.0002, set...)
		}
	})
	ph := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "kvcompose_operation_duration_seconds",
		Buckets: metrics.DurationBuckets()}, []string{"kvcompose_operation", "kvcompose_scheme"})
	series := ph.WithLabelValues("load", "mem")
	b.Run("prometheus-observe", func(b *testing.B) {
		b.ReportAllocs()
		benchtest.CPU(b)
		for b.Loop() {
			series.Observe(0.0002)
		}
	})
	_ = sink
}
