package metrics_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/kvcompose/compose"
	"github.com/kvcompose/compose/kv"
	"github.com/kvcompose/compose/layers/logging"
	"github.com/kvcompose/compose/layers/metrics"
)

// Example wires metrics and logs into a compose stack, at the top beside
// tracing (the caller's view), and prints what a manual reader collects.
// An exporter takes the reader's place in a real program: with
// go.opentelemetry.io/otel/exporters/prometheus, for example, pass
// sdkmetric.WithReader(exporter) and serve promhttp.Handler().
func Example() {
	ctx := context.Background()
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(ctx)
	// Warn and above: failures only (Debug would log every call).
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{} // the same output on every run
			}
			return a
		},
	}))

	store, err := compose.Open("mem://example-metrics",
		compose.WithLayer(compose.Top, func(next kv.Backend) kv.Backend {
			return metrics.New(next, metrics.WithMeterProvider(mp))
		}),
		compose.WithLayer(compose.Top, func(next kv.Backend) kv.Backend { return logging.New(next, logger) }))
	if err != nil {
		fmt.Println(err)
		return
	}
	store.Create(ctx)
	store.Open(ctx)
	defer store.Destroy(ctx)
	defer store.Close(ctx)
	store.Store(ctx, "data/0123", make([]byte, 4096))
	store.Load(ctx, "data/0123")
	store.Load(ctx, "data/0123", kv.Range(0, 100))
	store.Load(ctx, "data/4567") // not found: expected, not logged at Warn
	store.Open(ctx)              // already open: a failure, logged at Warn

	var rm metricdata.ResourceMetrics
	reader.Collect(ctx, &rm)
	var lines []string
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					op, _ := p.Attributes.Value(metrics.KeyOperation)
					et, _ := p.Attributes.Value(metrics.KeyErrorType)
					lines = append(lines, fmt.Sprintf("%s op=%s error.type=%q count=%d",
						m.Name, op.Emit(), et.Emit(), p.Count))
				}
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					op, _ := p.Attributes.Value(metrics.KeyOperation)
					lines = append(lines, fmt.Sprintf("%s op=%s value=%d", m.Name, op.Emit(), p.Value))
				}
			}
		}
	}
	slices.Sort(lines)
	for _, l := range lines {
		fmt.Println(l)
	}
	// Output:
	// level=WARN msg="kv call" op=open error="open: store is already open"
	// kvcompose.operation.bytes op=load value=4196
	// kvcompose.operation.bytes op=store value=4096
	// kvcompose.operation.duration op=create error.type="" count=1
	// kvcompose.operation.duration op=load error.type="" count=2
	// kvcompose.operation.duration op=load error.type="not_found" count=1
	// kvcompose.operation.duration op=open error.type="" count=1
	// kvcompose.operation.duration op=open error.type="already_open" count=1
	// kvcompose.operation.duration op=store error.type="" count=1
}
