// Command metrics wires OpenTelemetry metrics and slog logs into a
// kvcompose stack and prints what was measured.
//
//	go run ./examples/metrics          # failures logged at Warn
//	go run ./examples/metrics -debug   # every call logged at Debug
//
// The metrics and logging layers go at the top of the stack, beside
// tracing: they see the calls as the caller made them. The program reads
// the metrics with a ManualReader and prints them. To serve them to
// Prometheus instead, add the OpenTelemetry Prometheus exporter (it brings
// the Prometheus client library, which is why kvcompose itself does not
// depend on it):
//
//	import (
//		"go.opentelemetry.io/otel/exporters/prometheus"
//		"github.com/prometheus/client_golang/prometheus/promhttp"
//	)
//
//	exporter, err := prometheus.New()
//	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter))
//	http.Handle("/metrics", promhttp.Handler())
//
// Prometheus then scrapes kvcompose_operation_duration_seconds (a
// histogram) and kvcompose_operation_bytes_total, with the labels
// kvcompose_operation, kvcompose_scheme and error_type.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"os"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/kvcompose/compose"
)

func main() {
	debug := flag.Bool("debug", false, "log every call at Debug, not only failures")
	flag.Parse()
	ctx := context.Background()

	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(ctx)
	level := slog.LevelInfo
	if *debug {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	store, err := compose.Open("mem://metrics",
		compose.WithLevels(map[string][]int{"data/": {1}}),
		compose.WithMeterProvider(mp), // the metrics layer, below tracing
		compose.WithLogger(logger))    // the logging layer, below metrics
	if err != nil {
		log.Fatal(err)
	}
	check(store.Create(ctx))
	check(store.Open(ctx))
	defer store.Destroy(ctx)
	defer store.Close(ctx)

	for i := range 16 {
		check(store.Store(ctx, fmt.Sprintf("data/%02x00cafe", i), make([]byte, 1024*(i+1))))
	}
	for i := range 20 { // the last four are missing: expected errors
		_, err := store.Load(ctx, fmt.Sprintf("data/%02x00cafe", i))
		if i < 16 {
			check(err)
		}
	}
	for _, err := range store.List(ctx, "data") {
		check(err)
	}
	store.Store(ctx, "data/NOT-HEX", nil) // invalid name: a failure, logged at Warn

	var rm metricdata.ResourceMetrics
	check(reader.Collect(ctx, &rm))
	for _, sm := range rm.ScopeMetrics {
		fmt.Printf("scope %s %s\n", sm.Scope.Name, sm.Scope.Version)
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					fmt.Printf("%s{%s} count=%d sum=%.6f %s\n", m.Name, labels(p.Attributes), p.Count, p.Sum, m.Unit)
				}
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					fmt.Printf("%s{%s} %d %s\n", m.Name, labels(p.Attributes), p.Value, m.Unit)
				}
			}
		}
	}
}

// labels formats the attributes of a point: key=value,...
func labels(set attribute.Set) string {
	return set.Encoded(attribute.DefaultEncoder())
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
